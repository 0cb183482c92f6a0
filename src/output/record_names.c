/*
 * record_names.c - the text of every enum in a session record.
 *
 * These strings are the output vocabulary (SPEC §2, §3, §6): PAN-OS end
 * reasons, Zeek's transport names, the reset flags. They are part of the
 * file formats, so they never change spelling; an out-of-range value gets a
 * visible name rather than a crash, since records may come from a newer
 * producer than this writer.
 */
#include <string.h>

#include <rstscope/record.h>

const char *
rs_end_reason_name(enum rs_end_reason r)
{
    static const char *const names[RS_END__COUNT] = {
        [RS_END_OPEN] = "open",
        [RS_END_TCP_FIN] = "tcp-fin",
        [RS_END_RST_CLIENT] = "tcp-rst-from-client",
        [RS_END_RST_SERVER] = "tcp-rst-from-server",
        [RS_END_TCP_REUSE] = "tcp-reuse",
        [RS_END_AGED_OUT] = "aged-out",
        [RS_END_POLICY_DENY] = "policy-deny",
    };
    /* PAN-OS's own name for a reason it cannot tell. */
    if ((unsigned)r >= RS_END__COUNT)
        return "unknown";
    return names[r];
}

const char *
rs_rst_by_name(enum rs_rst_by b)
{
    switch (b) {
    case RS_RST_BY_NONE:
        return "";
    case RS_RST_BY_CLIENT:
        return "client";
    case RS_RST_BY_SERVER:
        return "server";
    case RS_RST_BY_BOTH:
        return "both";
    }
    return "";
}

const char *
rs_confidence_name(enum rs_confidence c)
{
    switch (c) {
    case RS_CONF_NONE:
        return "";
    case RS_CONF_LOW:
        return "low";
    case RS_CONF_MEDIUM:
        return "medium";
    case RS_CONF_HIGH:
        return "high";
    }
    return "";
}

size_t
rs_rst_flags_format(uint32_t flags, char *buf, size_t len)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {RS_RSTF_TTL_MISMATCH, "ttl_mismatch"}, {RS_RSTF_EARLY_ARRIVAL, "early_arrival"},
        {RS_RSTF_HDR_ANOMALY, "hdr_anomaly"},   {RS_RSTF_OUT_OF_WINDOW, "out_of_window"},
        {RS_RSTF_PAYLOAD, "payload"},           {RS_RSTF_AFTER_IDLE, "after_idle"},
    };
    size_t n = 0;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    if (flags == 0) /* most sessions: no reset, or a plain one */
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(flags & names[i].bit))
            continue;
        size_t sep = n > 0 ? 1 : 0;
        size_t nl = strlen(names[i].name);
        /* A name that does not fit whole is left out, never cut. */
        if (sep + nl > len - 1 - n)
            break;
        if (sep)
            buf[n++] = ',';
        memcpy(buf + n, names[i].name, nl);
        n += nl;
    }
    buf[n] = '\0';
    return n;
}

const char *
rs_proto_name(uint8_t proto)
{
    switch (proto) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
    case 58: /* ICMPv6: Zeek logs both as "icmp" */
        return "icmp";
    default:
        return "unknown_transport";
    }
}
