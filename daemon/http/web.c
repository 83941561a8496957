/* http web: the rack's web page, served by pirackd itself.
 *
 *   GET /                 the page (web/index.html)
 *   GET /ui/{file}        its script and style sheet (web/app.js, style.css)
 *
 * The same files on both listeners: on the operators' Unix socket the page
 * uses the ops API, on the customers' listener it asks for a key and uses
 * the customer API with the token /login gives (the script finds out which
 * by asking GET /v1/status).  The page brings no way in of its own: every
 * action it offers is an API request with the API's authorization.
 *
 * The files are in the binary (.incbin below, from web/ at build time), so
 * that no file has to be installed and no host needs a network to show
 * it.  Every answer carries a strict Content-Security-Policy: scripts and
 * styles from this origin only, no inline ones, no frames. */
#include <string.h>

#include "daemon/http/http.h"

/* Each file between two symbols, from the assembler's .incbin (the build
 * runs in the repository's top directory). */
#define WEB_FILE(sym, path)                                                                     \
    __asm__(".section .rodata\n.global " #sym "_start\n.global " #sym "_end\n.balign 16\n" #sym \
            "_start:\n.incbin \"" path "\"\n" #sym "_end:\n.previous\n");                       \
    extern const char sym##_start[], sym##_end[]

WEB_FILE(pr_web_index, "web/index.html");
WEB_FILE(pr_web_app, "web/app.js");
WEB_FILE(pr_web_style, "web/style.css");

struct web_file {
    const char *name; /* under /ui/; "" for the page itself */
    const char *type;
    const char *start, *end;
};

static const struct web_file files[] = {
    { "", "text/html; charset=utf-8", pr_web_index_start, pr_web_index_end },
    { "app.js", "text/javascript; charset=utf-8", pr_web_app_start, pr_web_app_end },
    { "style.css", "text/css; charset=utf-8", pr_web_style_start, pr_web_style_end },
};

static void serve(struct pr_api_req *req, const char *name)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (strcmp(files[i].name, name) == 0) {
            pr_api_reply_static(req, files[i].type, files[i].start,
                                (size_t)(files[i].end - files[i].start));
            return;
        }
    pr_api_reply_error(req, PR_API_ERR_NOT_FOUND, "the page has no file of that name");
}

void pr_http_get_page(struct pr_api_req *req, void *ctx)
{
    (void)ctx;
    serve(req, "");
}

void pr_http_get_page_file(struct pr_api_req *req, void *ctx)
{
    (void)ctx;
    serve(req, pr_api_req_param(req, "file"));
}
