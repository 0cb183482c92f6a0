/*
 * app_http.c - HTTP/1.x (RFC 9112).
 *
 * Client: a request line `method SP request-target SP HTTP/x.y CRLF`
 * (RFC 9112 §3), or HTTP/0.9's `GET SP path CRLF` (RFC 1945 §4.1). The version at the end is what tells HTTP from RTSP and SIP,
 * which share methods (OPTIONS, SUBSCRIBE, ...), so the whole line must be
 * seen; a long line cut by the look limit still matches on an HTTP-only
 * method. Server: a status line `HTTP/x.y SP 3DIGIT` (RFC 9112 §4).
 * The Host field (RFC 9110 §7.2) is followed over later segments when the
 * header block is not complete in the first one. After CONNECT (RFC 9110
 * §9.3.6) the tunnel's first bytes are checked for a TLS ClientHello
 * (Zeek then lists "http,ssl").
 */
#include <string.h>

#include "appid/appid_int.h"

/* RFC 9110 §9 plus the WebDAV (RFC 4918) and a few registry methods. */
static const char *const methods[] = {
    "GET ",       "POST ",   "HEAD ",        "PUT ",       "DELETE ",     "OPTIONS ",  "CONNECT ",
    "TRACE ",     "PATCH ",  "PROPFIND ",    "PROPPATCH ", "MKCOL ",      "COPY ",     "MOVE ",
    "LOCK ",      "UNLOCK ", "SEARCH ",      "REPORT ",    "MKACTIVITY ", "CHECKOUT ", "MERGE ",
    "SUBSCRIBE ", "NOTIFY ", "UNSUBSCRIBE ", "POLL ",      "BPROPFIND ",  "BMOVE ",    "M-SEARCH ",
};
/* Methods no other text protocol we know uses: enough when the line is cut. */
#define HTTP_ONLY_METHODS 9 /* the first nine of `methods`, minus OPTIONS below */

static int
http_version_at(const uint8_t *p, size_t n)
{
    /* "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); HTTP/2+ never appear in text. */
    return n >= 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' &&
           p[7] >= '0' && p[7] <= '9';
}

static enum rs_appid_verdict
response(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    struct rs_cur c = rs_cur_make(in->data, in->len);
    int r = rs_appid_lit(&c, "HTTP/");
    if (r <= 0)
        return r < 0 ? RS_APPID_NEED_MORE : RS_APPID_NO;
    if (in->len < 12)
        return RS_APPID_NEED_MORE;
    const uint8_t *p = in->data;
    if (!http_version_at(p, in->len) || p[8] != ' ')
        return RS_APPID_NO;
    unsigned status = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9')
            return RS_APPID_NO;
        status = status * 10 + (unsigned)(p[i] - '0');
    }
    if (status < 100 || status > 599)
        return RS_APPID_NO;
    if (!out->info->http_status) {
        out->info->http_status = (uint16_t)status;
        out->found_name = 1;
    }
    return RS_APPID_MATCH;
}

/* After a CONNECT request's header block: does the tunnel start with TLS? */
static enum rs_appid_verdict
connect_tunnel(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    const uint8_t *p = in->data;
    for (size_t i = 0; i + 3 < in->len; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
            size_t off = i + 4;
            if (off >= in->len)
                return in->at_cap ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
            struct rs_appid_out tls = {0};
            struct rs_appid_info scratch;
            memset(&scratch, 0, sizeof scratch);
            tls.info = &scratch;
            int complete = 0;
            enum rs_appid_verdict v =
                rs_appid_tls_records(p + off, in->len - off, 0, &tls, &complete);
            if (v == RS_APPID_NEED_MORE && !in->at_cap)
                return RS_APPID_NEED_MORE;
            if (v == RS_APPID_MATCH) {
                out->also |= RS_APPID_ALSO_SSL;
                if (scratch.name_kind && !out->info->name_kind) {
                    memcpy(out->info->name, scratch.name, sizeof scratch.name);
                    out->info->name_kind = scratch.name_kind;
                    out->found_name = 1;
                }
            }
            return RS_APPID_MATCH;
        }
    }
    return in->at_cap ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
}

static enum rs_appid_verdict
request(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->len && (in->data[0] < 'A' || in->data[0] > 'Z'))
        return RS_APPID_NO; /* every method starts with an upper-case letter */
    struct rs_cur c = rs_cur_make(in->data, in->len);
    size_t mi = 0, nm = sizeof methods / sizeof methods[0];
    int prefix = 0;
    for (; mi < nm; mi++) {
        int r = rs_appid_lit(&c, methods[mi]);
        if (r == 1)
            break;
        if (r < 0)
            prefix = 1;
    }
    if (mi == nm)
        return prefix ? RS_APPID_NEED_MORE : RS_APPID_NO;
    /* Method names are case-sensitive (RFC 9110 §9.1): the comparison above is
     * not, so check the exact bytes. */
    size_t mlen = strlen(methods[mi]);
    if (memcmp(in->data, methods[mi], mlen) != 0)
        return RS_APPID_NO;
    long ll = rs_appid_line_len(&c);
    if (ll < 0) {
        /* Line still open. Request lines are short; a long one that only
         * an HTTP method can start is taken as HTTP when no more will come. */
        if (in->len > 8192)
            return RS_APPID_NO;
        if (!in->at_cap)
            return RS_APPID_NEED_MORE;
        if (mi >= HTTP_ONLY_METHODS || mi == 5)
            return RS_APPID_NO;
    } else {
        /* The line must end in SP HTTP/x.y (RFC 9112 §3), or be an HTTP/0.9
         * Simple-Request: "GET" SP Request-URI CRLF (RFC 1945 §4.1). */
        size_t L = (size_t)ll;
        if (L < mlen + 1 + 9 || in->data[L - 9] != ' ' || !http_version_at(in->data + L - 8, 8)) {
            if (mi != 0 || L <= mlen || in->data[mlen] != '/' ||
                memchr(in->data + mlen, ' ', L - mlen) != NULL)
                return RS_APPID_NO;
        }
    }
    struct rs_appid_info *info = out->info;
    if (!info->http_method[0]) {
        size_t k = mlen - 1;
        if (k >= sizeof info->http_method)
            k = sizeof info->http_method - 1;
        memcpy(info->http_method, in->data, k);
        info->http_method[k] = '\0';
        out->found_name = 1;
    }
    if (ll < 0)
        return RS_APPID_MATCH;
    /* Header block: after the request line. */
    struct rs_cur h = c;
    rs_cur_skip(&h, (size_t)ll);
    uint8_t ch = 0;
    if (rs_cur_peek_u8(&h, 0, &ch) && ch == '\r')
        rs_cur_skip(&h, 1);
    rs_cur_skip(&h, 1);
    int got = 1;
    if (!info->name_kind) {
        got = rs_appid_header(&h, "Host", info->name, sizeof info->name);
        if (got == 1 && info->name[0]) {
            info->name_kind = RS_APPID_NAME_HOST;
            out->found_name = 1;
        }
    }
    int is_connect = mi == 6;
    if (got < 0 && !in->at_cap) {
        out->follow = 1; /* the Host field may be in the next segment */
        return in->following ? RS_APPID_NEED_MORE : RS_APPID_MATCH;
    }
    if (is_connect) {
        enum rs_appid_verdict v = connect_tunnel(in, out);
        if (v == RS_APPID_NEED_MORE) {
            out->follow = 1;
            return in->following ? RS_APPID_NEED_MORE : RS_APPID_MATCH;
        }
    }
    return RS_APPID_MATCH;
}

enum rs_appid_verdict
rs_app_http(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->l4 != 6)
        return RS_APPID_NO;
    if (in->following)
        return in->side == 0 ? request(in, out) : RS_APPID_NEED_MORE;
    /* Either direction may be the first one captured. */
    if (in->side == 1)
        return response(in, out);
    return request(in, out);
}
