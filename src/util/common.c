/*
 * common.c - error formatting and address helpers shared by every module.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rstscope/common.h>

int
rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void
rs_addr_from_v4(struct rs_addr *a, const uint8_t v4[4])
{
    /* Two 8-byte stores, the halves the flow hash loads right after (a
     * 12-byte then a 4-byte store made its load of bytes 8-15 wait for
     * both stores to reach the cache instead of being forwarded). */
    const uint8_t hi[8] = {0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3]};
    memset(a->b, 0, 8);
    memcpy(a->b + 8, hi, 8);
}

int
rs_addr_is_v4(const struct rs_addr *a)
{
    return memcmp(a->b, v4_prefix, 12) == 0;
}

/* "0." .. "255.": an octet's text with the dot after it, and its length. */
static const struct {
    char s[5];
    uint8_t n;
} octet_text[256] = {
    /* clang-format off */
    {"0.", 2}, {"1.", 2}, {"2.", 2}, {"3.", 2}, {"4.", 2}, {"5.", 2}, {"6.", 2}, {"7.", 2},
    {"8.", 2}, {"9.", 2}, {"10.", 3}, {"11.", 3}, {"12.", 3}, {"13.", 3}, {"14.", 3}, {"15.", 3},
    {"16.", 3}, {"17.", 3}, {"18.", 3}, {"19.", 3}, {"20.", 3}, {"21.", 3}, {"22.", 3}, {"23.", 3},
    {"24.", 3}, {"25.", 3}, {"26.", 3}, {"27.", 3}, {"28.", 3}, {"29.", 3}, {"30.", 3}, {"31.", 3},
    {"32.", 3}, {"33.", 3}, {"34.", 3}, {"35.", 3}, {"36.", 3}, {"37.", 3}, {"38.", 3}, {"39.", 3},
    {"40.", 3}, {"41.", 3}, {"42.", 3}, {"43.", 3}, {"44.", 3}, {"45.", 3}, {"46.", 3}, {"47.", 3},
    {"48.", 3}, {"49.", 3}, {"50.", 3}, {"51.", 3}, {"52.", 3}, {"53.", 3}, {"54.", 3}, {"55.", 3},
    {"56.", 3}, {"57.", 3}, {"58.", 3}, {"59.", 3}, {"60.", 3}, {"61.", 3}, {"62.", 3}, {"63.", 3},
    {"64.", 3}, {"65.", 3}, {"66.", 3}, {"67.", 3}, {"68.", 3}, {"69.", 3}, {"70.", 3}, {"71.", 3},
    {"72.", 3}, {"73.", 3}, {"74.", 3}, {"75.", 3}, {"76.", 3}, {"77.", 3}, {"78.", 3}, {"79.", 3},
    {"80.", 3}, {"81.", 3}, {"82.", 3}, {"83.", 3}, {"84.", 3}, {"85.", 3}, {"86.", 3}, {"87.", 3},
    {"88.", 3}, {"89.", 3}, {"90.", 3}, {"91.", 3}, {"92.", 3}, {"93.", 3}, {"94.", 3}, {"95.", 3},
    {"96.", 3}, {"97.", 3}, {"98.", 3}, {"99.", 3}, {"100.", 4}, {"101.", 4}, {"102.", 4},
    {"103.", 4}, {"104.", 4}, {"105.", 4}, {"106.", 4}, {"107.", 4}, {"108.", 4}, {"109.", 4},
    {"110.", 4}, {"111.", 4}, {"112.", 4}, {"113.", 4}, {"114.", 4}, {"115.", 4}, {"116.", 4},
    {"117.", 4}, {"118.", 4}, {"119.", 4}, {"120.", 4}, {"121.", 4}, {"122.", 4}, {"123.", 4},
    {"124.", 4}, {"125.", 4}, {"126.", 4}, {"127.", 4}, {"128.", 4}, {"129.", 4}, {"130.", 4},
    {"131.", 4}, {"132.", 4}, {"133.", 4}, {"134.", 4}, {"135.", 4}, {"136.", 4}, {"137.", 4},
    {"138.", 4}, {"139.", 4}, {"140.", 4}, {"141.", 4}, {"142.", 4}, {"143.", 4}, {"144.", 4},
    {"145.", 4}, {"146.", 4}, {"147.", 4}, {"148.", 4}, {"149.", 4}, {"150.", 4}, {"151.", 4},
    {"152.", 4}, {"153.", 4}, {"154.", 4}, {"155.", 4}, {"156.", 4}, {"157.", 4}, {"158.", 4},
    {"159.", 4}, {"160.", 4}, {"161.", 4}, {"162.", 4}, {"163.", 4}, {"164.", 4}, {"165.", 4},
    {"166.", 4}, {"167.", 4}, {"168.", 4}, {"169.", 4}, {"170.", 4}, {"171.", 4}, {"172.", 4},
    {"173.", 4}, {"174.", 4}, {"175.", 4}, {"176.", 4}, {"177.", 4}, {"178.", 4}, {"179.", 4},
    {"180.", 4}, {"181.", 4}, {"182.", 4}, {"183.", 4}, {"184.", 4}, {"185.", 4}, {"186.", 4},
    {"187.", 4}, {"188.", 4}, {"189.", 4}, {"190.", 4}, {"191.", 4}, {"192.", 4}, {"193.", 4},
    {"194.", 4}, {"195.", 4}, {"196.", 4}, {"197.", 4}, {"198.", 4}, {"199.", 4}, {"200.", 4},
    {"201.", 4}, {"202.", 4}, {"203.", 4}, {"204.", 4}, {"205.", 4}, {"206.", 4}, {"207.", 4},
    {"208.", 4}, {"209.", 4}, {"210.", 4}, {"211.", 4}, {"212.", 4}, {"213.", 4}, {"214.", 4},
    {"215.", 4}, {"216.", 4}, {"217.", 4}, {"218.", 4}, {"219.", 4}, {"220.", 4}, {"221.", 4},
    {"222.", 4}, {"223.", 4}, {"224.", 4}, {"225.", 4}, {"226.", 4}, {"227.", 4}, {"228.", 4},
    {"229.", 4}, {"230.", 4}, {"231.", 4}, {"232.", 4}, {"233.", 4}, {"234.", 4}, {"235.", 4},
    {"236.", 4}, {"237.", 4}, {"238.", 4}, {"239.", 4}, {"240.", 4}, {"241.", 4}, {"242.", 4},
    {"243.", 4}, {"244.", 4}, {"245.", 4}, {"246.", 4}, {"247.", 4}, {"248.", 4}, {"249.", 4},
    {"250.", 4}, {"251.", 4}, {"252.", 4}, {"253.", 4}, {"254.", 4}, {"255.", 4},
    /* clang-format on */
};

/* Dotted quad of q[0..3] at p, four table copies; returns the end (the
 * last dot's place: p has room for 16 bytes). */
static char *
put_quad(char *p, const uint8_t *q)
{
    for (int i = 0; i < 4; i++) {
        memcpy(p, octet_text[q[i]].s, 4);
        p += octet_text[q[i]].n;
    }
    return p - 1;
}

/*
 * IPv6 text as glibc's inet_ntop writes it, without its sprintf per group
 * (some 3,300 instructions an address): RFC 5952 §4 (lowercase hex without
 * leading zeros, the longest run of two or more zero groups as "::", the
 * first of equal runs), and, like inet_ntop, an IPv4-compatible or -mapped
 * address (RFC 4291 §2.5.5) ending in a dotted quad. The unit test holds the two to the same bytes. buf has room for
 * INET6_ADDRSTRLEN bytes.
 */
static size_t
format_v6(const uint8_t *b, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)b[2 * (size_t)i] << 8 | b[2 * (size_t)i + 1];
        if (w[i] == 0) {
            if (cur < 0)
                cur = i, cur_len = 0;
            cur_len++;
            if (cur_len > best_len)
                best = cur, best_len = cur_len;
        } else {
            cur = -1;
        }
    }
    if (best_len < 2)
        best = -1;
    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i != 0)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            p = put_quad(p, b + 12);
            break;
        }
        unsigned v = w[i];
        if (v >= 0x1000)
            *p++ = hex[v >> 12];
        if (v >= 0x100)
            *p++ = hex[(v >> 8) & 15];
        if (v >= 0x10)
            *p++ = hex[(v >> 4) & 15];
        *p++ = hex[v & 15];
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    *p = '\0';
    return (size_t)(p - buf);
}

size_t
rs_addr_format(const struct rs_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (rs_addr_is_v4(a) && len >= 16) {
        /* Dotted quad by hand: inet_ntop goes through sprintf, some 2,000
         * instructions an address, and records and explanations print
         * four of them. */
        char *p = put_quad(buf, a->b + 12);
        *p = '\0';
        return (size_t)(p - buf);
    }
    if (!rs_addr_is_v4(a) && len >= INET6_ADDRSTRLEN)
        return format_v6(a->b, buf);
    const char *ok = rs_addr_is_v4(a) ? inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len)
                                      : inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
    if (!ok) {
        buf[0] = '\0';
        return 0;
    }
    return strlen(buf);
}

int
rs_addr_parse(struct rs_addr *a, const char *s)
{
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        rs_addr_from_v4(a, v4);
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->b) == 1)
        return 0;
    return -1;
}
