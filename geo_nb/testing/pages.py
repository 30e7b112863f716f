"""HTML pages: the two captured NCBI pages, and the synthesized ones.

Captured (served verbatim from ``data/pages/``): the acc.cgi landing page and
the FTP server's 403 "Access forbidden!" page. Synthesized here, because no
real copy is recorded: acc.cgi failure pages (in the landing page's look, with
NCBI's exact failure phrases), the bot-challenge interstitial (modelled on the
reCAPTCHA Enterprise page NCBI began serving on /geo/ in August 2026, GEOquery
issue #230), Apache-style 301/404 pages and generic status pages. Every
synthesized page carries an HTML comment saying so.
"""

from __future__ import annotations

import functools
from html import escape
from http import HTTPStatus
from pathlib import Path

__all__ = [
    "acc_failure",
    "acc_form_unsupported",
    "acc_landing",
    "challenge",
    "forbidden",
    "moved",
    "not_found",
    "status_page",
]

PAGES = Path(__file__).parent / "data" / "pages"
SYNTHESIZED = "<!-- synthesized by the geo_nb NCBI emulator; not a recorded NCBI page -->\n"


@functools.cache
def _captured(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def acc_landing() -> str:
    """The real page acc.cgi serves without ``acc`` (captured)."""
    return _captured("acc_cgi_landing_page_no_accession.html")


def forbidden() -> str:
    """The real 403 page ftp.ncbi.nlm.nih.gov serves for a folder without index (captured)."""
    return _captured("403_access_forbidden_no_index.html")


def _acc_page(message_html: str) -> str:
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
{SYNTHESIZED}<HTML>
  <HEAD>
    <META http-equiv="Content-Type"
      content="text/html; charset=UTF-8">
    <TITLE>
    GEO Accession viewer
    </TITLE>
    <link rel="stylesheet"
      href="/corehtml/ncbi.css">
  </HEAD>
<body background="/coreweb/template1/pix/bg_main3.gif" topmargin="20" marginheight="20">
    <table width="740" border="0" cellspacing="0" cellpadding="0" align="center" >
            <tr>
                <td><a href="/"><img src="/geo/img/ncbi_logo.gif" alt="NCBI Logo"
                  width="145" height="66" border="0"></a></td>
                <td width="100%" align="center" valign="middle" nowrap><a href="/geo/">
                  <img src="/geo/img/geo_main.gif" alt="GEO Logo" border="0"></a></td>
            </tr>
            <tr>
                <td colspan="2" bgcolor="White">
 <span id="msg_err" style="color:red"></span>
    <table bgcolor="#ffffff" width="600" border="0">
<tr><td class="SMALL1">
<b>{message_html}</b>
</td></tr>
</table>
                </td>
            </tr>
    </table>
</body>
</html>
"""


def acc_failure(accession: str, status: str, release_date: str | None = None) -> str:
    """The 200 HTML page acc.cgi answers for a missing/private/withdrawn/unapproved accession.

    The sentences contain NCBI's phrases exactly, so clients can recognise them:
    ``Could not find a public or private accession``, ``is currently private and
    is scheduled to be released on``, ``was deleted by the GEO staff``, ``is not
    yet approved by GEO curators``.
    """
    acc = escape(accession)
    messages = {
        "missing": f'Could not find a public or private accession "{acc}"',
        "private": f'Accession "{acc}" is currently private and is scheduled to be released on '
        f"{escape(release_date or '')}.",
        "withdrawn": f'Accession "{acc}" was deleted by the GEO staff and is no longer available.',
        "unapproved": f'Accession "{acc}" is not yet approved by GEO curators and cannot be '
        "displayed.",
    }
    return _acc_page(messages[status])


def acc_form_unsupported(form: str) -> str:
    """The page for ``form=xml``/``form=html``: the emulator only serves SOFT text."""
    return _acc_page(
        f"The NCBI emulator only serves form=text (SOFT); form={escape(form)} is not implemented."
    )


def challenge() -> str:
    """A bot-challenge interstitial like NCBI's reCAPTCHA Enterprise page (HTTP 200, no SOFT)."""
    return f"""<!DOCTYPE html>
{SYNTHESIZED}<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, nofollow">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verifying you are human</title>
<script src="https://www.google.com/recaptcha/enterprise.js?render=explicit" async defer></script>
</head>
<body>
<main>
<h1>Verifying you are human</h1>
<p>www.ncbi.nlm.nih.gov needs to verify that you are not a robot before you can continue.</p>
<div id="ncbi-challenge" class="g-recaptcha" data-sitekey="emulator-not-a-real-key"
     data-action="geo_access"></div>
<noscript><p>Please enable JavaScript and cookies to continue.</p></noscript>
</main>
</body>
</html>
"""


def not_found() -> str:
    """An Apache 404 page in the style of the captured 403 page."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{SYNTHESIZED}<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head>
<title>Object not found!</title>
<link rev="made" href="mailto:webadmin@ncbi.nlm.nih.gov" />
</head>
<body>
<h1>Object not found!</h1>
<p>The requested URL was not found on this server.
If you entered the URL manually please check your spelling and try again.</p>
<p>If you think this is a server error, please contact
the <a href="mailto:webadmin@ncbi.nlm.nih.gov">webmaster</a>.</p>
<h2>Error 404</h2>
<address><a href="/">ftp.ncbi.nlm.nih.gov</a><br /><span>Apache</span></address>
</body>
</html>
"""


def moved(location: str) -> str:
    """Apache's 301 page."""
    return f"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
{SYNTHESIZED}<html><head>
<title>301 Moved Permanently</title>
</head><body>
<h1>Moved Permanently</h1>
<p>The document has moved <a href="{escape(location)}">here</a>.</p>
</body></html>
"""


def status_page(status: int) -> str:
    """A generic Apache-style page for an injected error status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
{SYNTHESIZED}<html><head>
<title>{status} {phrase}</title>
</head><body>
<h1>{phrase}</h1>
<p>The server answered {status} {phrase}.</p>
</body></html>
"""
