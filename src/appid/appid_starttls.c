/*
 * appid_starttls.c - following a matched text protocol into TLS.
 *
 * SMTP (RFC 3207), POP3 and IMAP (RFC 2595), FTP (RFC 4217), LDAP (RFC 4511
 * §4.14), MySQL and PostgreSQL all upgrade a connection to TLS in place.
 * Zeek then lists both services ("smtp,ssl"). After such a protocol matched
 * it keeps following the session for the rest of the look limits, and the
 * first client segment that starts with a TLS ClientHello adds "ssl".
 */
#include "appid/appid_int.h"

enum rs_appid_verdict
rs_appid_follow_tls(const struct rs_appid_in *in, struct rs_appid_out *out)
{
    if (in->side != 0 || in->seg_len < 6)
        return in->at_cap ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
    int complete = 0;
    struct rs_appid_out tls = {0};
    tls.info = out->info;
    if (rs_appid_tls_records(in->seg, in->seg_len, 0, &tls, &complete) == RS_APPID_MATCH) {
        out->also |= RS_APPID_ALSO_SSL;
        out->found_name |= tls.found_name;
        return RS_APPID_MATCH;
    }
    return in->at_cap ? RS_APPID_MATCH : RS_APPID_NEED_MORE;
}
