/*
 * panos_names.c - the PAN-OS traffic log vocabulary (panlog.h part 1): App-ID
 * names, protocol names, end reasons and time stamps.
 *
 * One place for both directions, so that `--format=panos` output read back by
 * `explain --log` compares equal. App-ID names differ from Zeek's service
 * names for a handful of protocols (http is web-browsing, rdp is ms-rdp, ...)
 * and App-ID splits some protocols into a "-base" application plus
 * functions (dns-base, smtp-base, ms-ds-smb-base in PAN-OS 10+): comparisons
 * go through one canonical form that folds those.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rstscope/panlog.h>

/* rstscope (Zeek) service name -> App-ID name, where they differ. */
static const struct {
    const char *ours;
    const char *appid;
} rename_tab[] = {
    {"http", "web-browsing"}, {"rdp", "ms-rdp"},          {"smb", "ms-ds-smb"},
    {"krb", "kerberos"},      {"krb_tcp", "kerberos"},    {"ldap_tcp", "ldap"},
    {"ldap_udp", "ldap"},     {"postgresql", "postgres"}, {"syslog_tcp", "syslog"},
    {"ftp-data", "ftp"}, /* App-ID logs a predicted data session as its control's app */
};

/* App-ID variants folded onto one name (after the "-base" suffix is cut). */
static const struct {
    const char *variant;
    const char *canon;
} fold_tab[] = {
    {"snmpv1", "snmp"},    {"snmpv2", "snmp"},     {"snmpv3", "snmp"},
    {"snmp-trap", "snmp"}, {"icmp6", "ipv6-icmp"},
};

static const char *const states[] = {
    "incomplete",  "insufficient-data", "unknown-tcp", "unknown-udp",
    "non-syn-tcp", "not-applicable",    "unknown-p2p",
};

/* App-ID names of the applications rstscope identifies (appid.h). */
static const char *const known[] = {
    "web-browsing", "ssl",        "dns",    "ssh",    "smtp",  "pop3",     "imap",
    "ftp",          "quic",       "ntp",    "dhcp",   "sip",   "ms-rdp",   "ms-ds-smb",
    "ldap",         "kerberos",   "snmp",   "syslog", "mysql", "postgres", "redis",
    "mqtt",         "bittorrent", "bgp",    "telnet", "rtsp",  "vxlan",    "geneve",
    "teredo",       "ayiya",      "modbus", "irc",    "ping",  "icmp",     "ipv6-icmp",
};

static size_t
put(char *buf, size_t len, const char *s, size_t n)
{
    if (len == 0)
        return 0;
    if (n > len - 1)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return n;
}

const char *
rs_panos_proto_name(uint8_t proto)
{
    switch (proto) {
    case 1:
        return "icmp";
    case 2:
        return "igmp";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 47:
        return "gre";
    case 50:
        return "esp";
    case 51:
        return "ah";
    case 58:
        return "ipv6-icmp";
    case 89:
        return "ospf";
    case 132:
        return "sctp";
    default:
        return NULL;
    }
}

int
rs_panos_proto_parse(const char *s, size_t n)
{
    if (n == 0)
        return -1;
    if (s[0] >= '0' && s[0] <= '9') {
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9' || i >= 3)
                return -1;
            v = v * 10 + (unsigned)(s[i] - '0');
        }
        return v <= 255 ? (int)v : -1;
    }
    for (unsigned p = 0; p < 256; p++) {
        const char *name = rs_panos_proto_name((uint8_t)p);
        if (name && strlen(name) == n && strncmp(name, s, n) == 0)
            return (int)p;
    }
    if (n == 6 && strncmp(s, "icmpv6", 6) == 0)
        return 58;
    return -1;
}

const char *
rs_panos_end_reason(enum rs_end_reason r)
{
    if (r == RS_END_OPEN)
        return "unknown";
    return rs_end_reason_name(r);
}

size_t
rs_panos_app_canon(const char *name, size_t n, char *buf, size_t len)
{
    char low[64];
    size_t k = 0;

    /* The first name of a list ("smtp,ssl"), lowercased. */
    for (size_t i = 0; i < n && name[i] && name[i] != ','; i++) {
        if (k + 1 >= sizeof low)
            break;
        char c = name[i];
        low[k++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    low[k] = '\0';
    for (size_t i = 0; i < sizeof rename_tab / sizeof rename_tab[0]; i++)
        if (strcmp(low, rename_tab[i].ours) == 0)
            return put(buf, len, rename_tab[i].appid, strlen(rename_tab[i].appid));
    if (k > 5 && strcmp(low + k - 5, "-base") == 0) {
        k -= 5;
        low[k] = '\0';
    }
    for (size_t i = 0; i < sizeof fold_tab / sizeof fold_tab[0]; i++)
        if (strcmp(low, fold_tab[i].variant) == 0)
            return put(buf, len, fold_tab[i].canon, strlen(fold_tab[i].canon));
    return put(buf, len, low, k);
}

int
rs_panos_app_is_state(const char *canon)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(canon, states[i]) == 0)
            return 1;
    return 0;
}

int
rs_panos_app_known(const char *canon)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(canon, known[i]) == 0)
            return 1;
    return 0;
}

size_t
rs_panos_app(const struct rs_record *r, char *buf, size_t len)
{
    size_t n = strnlen(r->app, sizeof r->app);
    if (n > 0)
        return rs_panos_app_canon(r->app, n, buf, len);
    const char *s;
    if (r->proto == 1)
        s = r->client_port == 8 || r->client_port == 0 ? "ping" : "icmp";
    else if (r->proto == 58)
        s = "ipv6-icmp";
    else if ((s = rs_panos_proto_name(r->proto)) == NULL)
        s = "unknown";
    return put(buf, len, s, strlen(s));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so parsing needs neither timegm nor the TZ variable. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

size_t
rs_panos_time_format(rs_time_ns t, char *buf, size_t len)
{
    if (len < 20) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    int64_t sec = t / RS_NS_PER_SEC;
    if (t < 0 && t % RS_NS_PER_SEC)
        sec--;
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        buf[0] = '\0';
        return 0;
    }
    int n = snprintf(buf, len, "%04d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n == 19 ? 19 : 0;
}

/* Reads exactly `w` digits at s[*i]; -1 if not digits. */
static int64_t
digits(const char *s, size_t n, size_t *i, unsigned w)
{
    int64_t v = 0;
    if (w > n - *i || *i > n)
        return -1;
    for (unsigned k = 0; k < w; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += w;
    return v;
}

int
rs_panos_time_parse(const char *s, size_t n, rs_time_ns *t, int *zoned)
{
    size_t i = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    int64_t y = digits(s, n, &i, 4);
    if (y < 0 || i >= n || (s[i] != '/' && s[i] != '-'))
        return -1;
    char dsep = s[i++];
    int64_t mo = digits(s, n, &i, 2);
    if (mo < 1 || mo > 12 || i >= n || s[i++] != dsep)
        return -1;
    int64_t d = digits(s, n, &i, 2);
    if (d < 1 || d > 31 || i >= n || (s[i] != ' ' && s[i] != 'T'))
        return -1;
    i++;
    int64_t h = digits(s, n, &i, 2);
    if (h < 0 || h > 23 || i >= n || s[i++] != ':')
        return -1;
    int64_t mi = digits(s, n, &i, 2);
    if (mi < 0 || mi > 59 || i >= n || s[i++] != ':')
        return -1;
    int64_t se = digits(s, n, &i, 2);
    if (se < 0 || se > 60)
        return -1;
    int64_t frac_ns = 0;
    if (i < n && s[i] == '.') {
        i++;
        int64_t scale = 100000000;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac_ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return -1;
    }
    int64_t off = 0;
    int z = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        z = 1;
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t oh = digits(s, n, &i, 2);
        if (oh < 0 || oh > 14)
            return -1;
        if (i < n && s[i] == ':')
            i++;
        int64_t om = digits(s, n, &i, 2);
        if (om < 0 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
        z = 1;
    }
    if (i != n)
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
    *t = secs * RS_NS_PER_SEC + frac_ns;
    *zoned = z;
    return 0;
}
