/*
 * appid.c - the dissector registry, the per-session look, and the two side
 * stores (names, first-flight reassembly).
 *
 * Design (nDPI's model, p0f's caps): each TCP/UDP session starts with every
 * dissector of its transport as a candidate. Each payload packet (while the
 * session is LOOKING) shows the dissectors still in the running one
 * direction's bytes: for UDP the datagram; for TCP the in-order stream prefix
 * of that direction, so a TLS ClientHello cut over three segments is seen
 * whole. A NO removes the candidate; the first MATCH decides; when no
 * candidate is left, or a direction sends more than RS_APPID_MAX_PKTS payload
 * packets, the session is DONE unidentified and the App-ID state (SPEC §3)
 * comes from the counters. Dissectors whose well-known port is on the
 * session are tried first, so a port only breaks ties.
 *
 * Memory: the first packet of a direction is shown in place. Only when the
 * session is still undecided after it are its bytes copied into a
 * reassembly entry (one per session, both directions, RS_APPID_REASM_BYTES
 * each), freed as soon as the session is DONE. Names (SNI, Host) go to a
 * separate store of small entries kept until the session ends. Both stores
 * are slabs addressed by 32-bit index with a free stack; they grow by
 * doubling up to a cap, and a store at its cap is counted, never waited on.
 */
#include <stdlib.h>
#include <string.h>

#include "appid/appid_int.h"
#include "util/hugemem.h"

/* Try order when no port hints otherwise: the strongest signatures first. */
const struct rs_appid_dissector rs_appid_registry[] = {
    {RS_APP_SSL, RS_L4_TCP, {443, 993, 995, 465}, rs_app_ssl},
    {RS_APP_HTTP, RS_L4_TCP, {80, 8080, 8000, 3128}, rs_app_http},
    {RS_APP_SSH, RS_L4_TCP, {22, 0, 0, 0}, rs_app_ssh},
    {RS_APP_QUIC, RS_L4_UDP, {443, 80, 4433, 0}, rs_app_quic},
    {RS_APP_DHCP, RS_L4_UDP, {67, 68, 0, 0}, rs_app_dhcp},
    {RS_APP_BITTORRENT, RS_L4_TCP | RS_L4_UDP, {6881, 6889, 0, 0}, rs_app_bittorrent},
    {RS_APP_MQTT, RS_L4_TCP, {1883, 0, 0, 0}, rs_app_mqtt},
    {RS_APP_BGP, RS_L4_TCP, {179, 0, 0, 0}, rs_app_bgp},
    {RS_APP_SMB, RS_L4_TCP, {445, 139, 0, 0}, rs_app_smb},
    {RS_APP_RDP, RS_L4_TCP, {3389, 0, 0, 0}, rs_app_rdp},
    {RS_APP_MYSQL, RS_L4_TCP, {3306, 0, 0, 0}, rs_app_mysql},
    {RS_APP_POSTGRESQL, RS_L4_TCP, {5432, 0, 0, 0}, rs_app_postgresql},
    {RS_APP_REDIS, RS_L4_TCP, {6379, 0, 0, 0}, rs_app_redis},
    {RS_APP_SIP, RS_L4_TCP | RS_L4_UDP, {5060, 5061, 0, 0}, rs_app_sip},
    {RS_APP_RTSP, RS_L4_TCP, {554, 8554, 0, 0}, rs_app_rtsp},
    {RS_APP_FTP, RS_L4_TCP, {21, 0, 0, 0}, rs_app_ftp},
    {RS_APP_SMTP, RS_L4_TCP, {25, 587, 0, 0}, rs_app_smtp},
    {RS_APP_POP3, RS_L4_TCP, {110, 0, 0, 0}, rs_app_pop3},
    {RS_APP_IMAP, RS_L4_TCP, {143, 0, 0, 0}, rs_app_imap},
    {RS_APP_IRC, RS_L4_TCP, {6667, 6666, 6668, 6669}, rs_app_irc},
    {RS_APP_KRB, RS_L4_TCP | RS_L4_UDP, {88, 0, 0, 0}, rs_app_krb},
    {RS_APP_LDAP, RS_L4_TCP | RS_L4_UDP, {389, 3268, 0, 0}, rs_app_ldap},
    {RS_APP_SNMP, RS_L4_UDP, {161, 162, 0, 0}, rs_app_snmp},
    {RS_APP_DNS, RS_L4_TCP | RS_L4_UDP, {53, 5353, 5355, 137}, rs_app_dns},
    {RS_APP_NTP, RS_L4_UDP, {123, 0, 0, 0}, rs_app_ntp},
    {RS_APP_SYSLOG, RS_L4_TCP | RS_L4_UDP, {514, 601, 0, 0}, rs_app_syslog},
    {RS_APP_VXLAN, RS_L4_UDP, {4789, 0, 0, 0}, rs_app_vxlan},
    {RS_APP_GENEVE, RS_L4_UDP, {6081, 0, 0, 0}, rs_app_geneve},
    {RS_APP_TEREDO, RS_L4_UDP, {3544, 0, 0, 0}, rs_app_teredo},
    {RS_APP_AYIYA, RS_L4_UDP, {5072, 0, 0, 0}, rs_app_ayiya},
    {RS_APP_MODBUS, RS_L4_TCP, {502, 0, 0, 0}, rs_app_modbus},
    {RS_APP_TELNET, RS_L4_TCP, {23, 0, 0, 0}, rs_app_telnet},
};
const size_t rs_appid_registry_len = sizeof rs_appid_registry / sizeof rs_appid_registry[0];

/* The candidate set is a 32-bit mask. */
_Static_assert(sizeof rs_appid_registry / sizeof rs_appid_registry[0] <= 32,
               "registry larger than rs_appid_flow.cand");
_Static_assert(sizeof(struct rs_appid_flow) <= 32, "per-flow App-ID state must stay small");
_Static_assert(RS_APPID_REASM_BYTES <= UINT16_MAX, "reassembly lengths are 16-bit");
_Static_assert(sizeof(struct rs_appid_info) <= 224, "a names entry is kept per named session");

/* Zeek's service names (lowercased analyzer tags), {TCP, UDP} where they differ. */
static const char *const app_names[RS_APP__COUNT][2] = {
    [RS_APP_HTTP] = {"http", "http"},
    [RS_APP_SSL] = {"ssl", "ssl"},
    [RS_APP_DNS] = {"dns", "dns"},
    [RS_APP_SSH] = {"ssh", "ssh"},
    [RS_APP_SMTP] = {"smtp", "smtp"},
    [RS_APP_POP3] = {"pop3", "pop3"},
    [RS_APP_IMAP] = {"imap", "imap"},
    [RS_APP_FTP] = {"ftp", "ftp"},
    [RS_APP_QUIC] = {"quic", "quic"},
    [RS_APP_NTP] = {"ntp", "ntp"},
    [RS_APP_DHCP] = {"dhcp", "dhcp"},
    [RS_APP_SIP] = {"sip", "sip"},
    [RS_APP_RDP] = {"rdp", "rdp"},
    [RS_APP_SMB] = {"smb", "smb"},
    [RS_APP_LDAP] = {"ldap_tcp", "ldap_udp"},
    [RS_APP_KRB] = {"krb_tcp", "krb"},
    [RS_APP_SNMP] = {"snmp", "snmp"},
    [RS_APP_SYSLOG] = {"syslog_tcp", "syslog"},
    [RS_APP_MYSQL] = {"mysql", "mysql"},
    [RS_APP_POSTGRESQL] = {"postgresql", "postgresql"},
    [RS_APP_REDIS] = {"redis", "redis"},
    [RS_APP_MQTT] = {"mqtt", "mqtt"},
    [RS_APP_BITTORRENT] = {"bittorrent", "bittorrent"},
    [RS_APP_BGP] = {"bgp", "bgp"}, /* no Zeek analyzer: the common name */
    [RS_APP_TELNET] = {"telnet", "telnet"},
    [RS_APP_RTSP] = {"rtsp", "rtsp"}, /* no Zeek analyzer: the common name */
    [RS_APP_VXLAN] = {"vxlan", "vxlan"},
    [RS_APP_GENEVE] = {"geneve", "geneve"},
    [RS_APP_TEREDO] = {"teredo", "teredo"},
    [RS_APP_AYIYA] = {"ayiya", "ayiya"},
    [RS_APP_MODBUS] = {"modbus", "modbus"},
    [RS_APP_IRC] = {"irc", "irc"},
    [RS_APP_FTP_DATA] = {"ftp-data", "ftp-data"},
};

const char *
rs_app_name(enum rs_app app, uint8_t l4)
{
    if ((unsigned)app >= RS_APP__COUNT || !app_names[app][0])
        return "";
    return app_names[app][l4 == 6 ? 0 : 1];
}

/* ---- side stores ---- */

struct reasm {
    uint32_t next_seq[2]; /* TCP sequence number just past the kept bytes */
    uint16_t len[2];
    uint8_t live[2];   /* this direction is being kept */
    uint8_t at_cap[2]; /* no more of this direction can be kept */
    uint8_t buf[2][RS_APPID_REASM_BYTES];
};

/*
 * A slab of fixed-size entries addressed by index, allocated in chunks so
 * that growing never moves (or copies) what is already there; freed entries
 * go on a stack and are reused first.
 */
struct slab {
    void **chunk; /* chunk[i] holds `per` entries */
    size_t n_chunks;
    size_t per;         /* entries per chunk */
    uint32_t *free_idx; /* stack of free entry indices */
    size_t n_free, free_cap;
    size_t used; /* entries ever handed out (high-water mark) */
    size_t max;  /* hard cap */
    size_t esize;
    size_t live;
    int huge; /* chunks are whole huge pages (util/hugemem.h), not malloc'd */
};

static uint32_t
slab_get(struct slab *s)
{
    if (s->n_free) {
        s->live++;
        return s->free_idx[--s->n_free];
    }
    if (s->used >= s->max)
        return UINT32_MAX;
    if (s->used == s->n_chunks * s->per) {
        void **nc = realloc(s->chunk, (s->n_chunks + 1) * sizeof *nc);
        if (!nc)
            return UINT32_MAX;
        s->chunk = nc;
        if (!(nc[s->n_chunks] =
                  s->huge ? rs_huge_alloc(s->per * s->esize) : malloc(s->per * s->esize)))
            return UINT32_MAX;
        s->n_chunks++;
    }
    s->live++;
    return (uint32_t)s->used++;
}

static void
slab_put(struct slab *s, uint32_t idx)
{
    if (s->n_free == s->free_cap) {
        /* The stack never holds more than `used` indices; growing it
         * happens at most log2(max) times. */
        size_t ncap = s->free_cap ? s->free_cap * 2 : 64;
        uint32_t *nf = realloc(s->free_idx, ncap * sizeof *nf);
        if (!nf) {
            s->live--; /* leak the slot rather than lose track of it */
            return;
        }
        s->free_idx = nf;
        s->free_cap = ncap;
    }
    s->free_idx[s->n_free++] = idx;
    s->live--;
}

static void *
slab_at(const struct slab *s, uint32_t idx)
{
    return (char *)s->chunk[idx / s->per] + (size_t)(idx % s->per) * s->esize;
}

static void
slab_free(struct slab *s)
{
    for (size_t i = 0; i < s->n_chunks; i++) {
        if (s->huge)
            rs_huge_free(s->chunk[i], s->per * s->esize);
        else
            free(s->chunk[i]);
    }
    free(s->chunk);
    free(s->free_idx);
}

/*
 * What the look needs of the registry, worked out once (rs_appid_new): the
 * candidates of a new TCP or UDP session, and which dissectors each
 * well-known port hints at, in a small open-addressed table (port 0 marks
 * an empty slot; no dissector lists it). Walking the registry for both at
 * every first payload was 9% of the look's instructions.
 */
#define HINT_SLOTS 256
_Static_assert(HINT_SLOTS >= 2 * 4 * 32, "room for every dissector's four ports, half full");

struct rs_appid_hints {
    uint32_t cand[2]; /* [0] TCP, [1] UDP */
    struct {
        uint16_t port;
        uint32_t mask;
    } slot[HINT_SLOTS];
};

static unsigned
hint_home(uint16_t port)
{
    return ((unsigned)port * 40503u >> 8) & (HINT_SLOTS - 1);
}

static void
hints_build(struct rs_appid_hints *h)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < rs_appid_registry_len; i++) {
        const struct rs_appid_dissector *d = &rs_appid_registry[i];
        if (d->l4 & RS_L4_TCP)
            h->cand[0] |= 1u << i;
        if (d->l4 & RS_L4_UDP)
            h->cand[1] |= 1u << i;
        for (int k = 0; k < 4 && d->ports[k]; k++) {
            unsigned j = hint_home(d->ports[k]);
            while (h->slot[j].port && h->slot[j].port != d->ports[k])
                j = (j + 1) & (HINT_SLOTS - 1);
            h->slot[j].port = d->ports[k];
            h->slot[j].mask |= 1u << i;
        }
    }
}

/* The dissectors that list `port` among their well-known ports. */
static uint32_t
hints_port(const struct rs_appid_hints *h, uint16_t port)
{
    if (!port)
        return 0;
    for (unsigned j = hint_home(port);; j = (j + 1) & (HINT_SLOTS - 1)) {
        if (h->slot[j].port == port)
            return h->slot[j].mask;
        if (!h->slot[j].port)
            return 0;
    }
}

static uint32_t
initial_cand(const struct rs_appid_hints *h, uint8_t l4)
{
    return h->cand[l4 == 6 ? 0 : 1];
}

struct rs_appid {
    struct slab names;
    struct slab reasm;
    struct rs_appid_info scratch;
    int scratch_dirty;
    struct rs_appid_stats st;
    struct rs_appid_hints hints;
};

struct rs_appid *
rs_appid_new(size_t max_names, size_t max_reasm)
{
    struct rs_appid *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    /* One name per identified session: a busy capture holds tens of
     * thousands, in 2 MiB chunks of huge pages (a page fault per 18 names
     * with small pages). */
    a->names.esize = sizeof(struct rs_appid_info);
    a->names.per = RS_HUGE_PAGE / sizeof(struct rs_appid_info);
    a->names.huge = 1;
    a->names.max = max_names ? max_names : 1000000;
    a->reasm.esize = sizeof(struct reasm);
    a->reasm.per = 8;
    a->reasm.max = max_reasm ? max_reasm : 4096;
    hints_build(&a->hints);
    if (a->names.max > UINT32_MAX - 1)
        a->names.max = UINT32_MAX - 1;
    if (a->reasm.max > UINT32_MAX - 1)
        a->reasm.max = UINT32_MAX - 1;
    return a;
}

void
rs_appid_free(struct rs_appid *a)
{
    if (!a)
        return;
    slab_free(&a->names);
    slab_free(&a->reasm);
    free(a);
}

static void
drop_reasm(struct rs_appid *a, struct rs_appid_flow *af)
{
    if (af->reasm) {
        slab_put(&a->reasm, af->reasm - 1);
        af->reasm = 0;
    }
}

void
rs_appid_release(struct rs_appid *a, struct rs_appid_flow *af)
{
    drop_reasm(a, af);
    if (af->names) {
        slab_put(&a->names, af->names - 1);
        af->names = 0;
    }
    af->state = RS_APPID_DONE;
}

const struct rs_appid_info *
rs_appid_info(const struct rs_appid *a, const struct rs_appid_flow *af)
{
    if (!a || !af->names)
        return NULL;
    return slab_at(&a->names, af->names - 1);
}

size_t
rs_appid_format(const struct rs_appid_flow *af, uint8_t l4, char *buf, size_t len)
{
    if (!len)
        return 0;
    buf[0] = '\0';
    if (!af->app)
        return 0;
    /* Zeek's order of confirmation; Kerberos inside GSSAPI is "krb" on any
     * transport (the GSSAPI analyzer hands it to KRB, not KRB_TCP). */
    static const struct {
        uint8_t bit;
        const char *name;
    } also[] = {{RS_APPID_ALSO_SSL, "ssl"},
                {RS_APPID_ALSO_KRB, "krb"},
                {RS_APPID_ALSO_GSSAPI, "gssapi"},
                {RS_APPID_ALSO_NTLM, "ntlm"},
                {RS_APPID_ALSO_SMTP, "smtp"}};
    const char *n1 = rs_app_name((enum rs_app)af->app, l4);
    size_t n = strlen(n1);
    if (n >= len)
        return 0;
    memcpy(buf, n1, n);
    for (size_t i = 0; i < sizeof also / sizeof also[0]; i++) {
        if (!(af->also & also[i].bit))
            continue;
        size_t k = strlen(also[i].name);
        if (n + 1 + k >= len)
            break; /* never cut a name: drop the rest rather than garble one */
        buf[n++] = ',';
        memcpy(buf + n, also[i].name, k);
        n += k;
    }
    buf[n] = '\0';
    return n;
}

void
rs_appid_stats(const struct rs_appid *a, struct rs_appid_stats *out)
{
    *out = a->st;
    out->live_names = a->names.live;
    out->live_reasm = a->reasm.live;
}

/* ---- the look ---- */

/*
 * Shows `in` to the candidates in `*cand` (port-hinted ones first). Returns
 * the index of the first MATCH, or -1. NO answers clear their bit; marks are
 * updated in `*marks`.
 */
static int
run_dissectors(const struct rs_appid_hints *h, struct rs_appid_in *in, uint32_t *cand,
               uint32_t *marks, struct rs_appid_out *out)
{
    uint32_t hint = (hints_port(h, in->port[0]) | hints_port(h, in->port[1])) & *cand;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t m = *cand & (pass == 0 ? hint : ~hint);
        for (; m; m &= m - 1) {
            unsigned i = (unsigned)__builtin_ctz(m);
            uint32_t bit = 1u << i;
            const struct rs_appid_dissector *d = &rs_appid_registry[i];
            in->mark = (*marks & bit) != 0;
            out->set_mark = 0;
            out->follow = 0;
            out->also = 0;
            enum rs_appid_verdict v = d->fn(in, out);
            if (out->set_mark)
                *marks |= bit;
            if (v == RS_APPID_MATCH)
                return (int)i;
            if (v == RS_APPID_NO)
                *cand &= ~bit;
        }
    }
    return -1;
}

static void
finish(struct rs_appid *a, struct rs_appid_flow *af, int matched)
{
    af->state = RS_APPID_DONE;
    af->follow = 0;
    drop_reasm(a, af);
    if (matched)
        a->st.matched++;
    else
        a->st.gave_up++;
}

/* Keeps names found in the scratch area (when the flow has no entry yet). */
static void
keep_names(struct rs_appid *a, struct rs_appid_flow *af, struct rs_appid_out *out)
{
    if (!out->found_name || af->names)
        return;
    uint32_t idx = slab_get(&a->names);
    if (idx == UINT32_MAX) {
        a->st.names_full++;
        return;
    }
    memcpy(slab_at(&a->names, idx), &a->scratch, sizeof a->scratch);
    af->names = idx + 1;
}

static inline int
seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

void
rs_appid_feed(struct rs_appid *a, struct rs_appid_flow *af, const struct rs_layer *l, int side,
              int flipped, const uint16_t port[2])
{
    if (af->state != RS_APPID_LOOKING)
        return;
    if (l->proto != 6 && l->proto != 17) {
        af->state = RS_APPID_DONE;
        return;
    }
    size_t len = l->payload_caplen;
    if (!len || !l->payload)
        return;
    int tcp = l->proto == 6;
    int abs = (side ^ flipped) & 1; /* state is kept by the side first seen */
    if (!af->cand && !af->follow)
        af->cand = initial_cand(&a->hints, l->proto);
    if (af->follow) {
        /* Matched: the followers (names, TLS upgrades) only read the client. */
        if (++af->follow_pkts > RS_APPID_FOLLOW_PKTS) {
            finish(a, af, 1);
            return;
        }
        if (side != 0)
            return;
    } else if (af->pkts[abs] >= RS_APPID_MAX_PKTS) {
        finish(a, af, 0);
        return;
    }
    a->st.fed++;

    struct rs_appid_in in;
    memset(&in, 0, sizeof in);
    in.l4 = l->proto;
    in.side = (uint8_t)(side & 1);
    in.port[0] = port[0];
    in.port[1] = port[1];
    in.seg = l->payload;
    in.seg_len = len;
    in.data = l->payload;
    in.len = len;
    in.peer_seen = af->pkts[!abs] != 0;
    in.following = af->follow != 0;
    int cut = l->payload_caplen < l->payload_len; /* snaplen: the stream has a hole here */

    struct reasm *r = af->reasm ? slab_at(&a->reasm, af->reasm - 1) : NULL;
    uint32_t seq = 0;
    if (tcp) {
        seq = l->u.tcp.seq + ((l->u.tcp.flags & RS_TCP_SYN) ? 1u : 0u);
        if (af->pkts[abs]) {
            /* A later segment of this direction: only an in-order extension of
             * the kept prefix can be shown. */
            if (!r || !r->live[abs] || r->at_cap[abs]) {
                finish(a, af, af->app != 0);
                return;
            }
            uint32_t next = r->next_seq[abs];
            uint32_t end = seq + (uint32_t)l->payload_len;
            if (!seq_before(next, end))
                return; /* retransmission of bytes already kept */
            if (seq_before(next, seq)) {
                a->st.reasm_gap++;
                finish(a, af, af->app != 0);
                return;
            }
            /* New bytes start `skip` into the segment; with a snaplen cut
             * they may not be captured at all (skip >= len). */
            size_t skip = (size_t)(next - seq);
            size_t fresh = skip < len ? len - skip : 0;
            size_t room = RS_APPID_REASM_BYTES - r->len[abs];
            size_t n = fresh < room ? fresh : room;
            memcpy(r->buf[abs] + r->len[abs], l->payload + (fresh ? skip : 0), n);
            r->len[abs] = (uint16_t)(r->len[abs] + n);
            r->next_seq[abs] = next + (uint32_t)n;
            if (n < fresh || fresh == 0 || cut || r->len[abs] == RS_APPID_REASM_BYTES)
                r->at_cap[abs] = 1;
            in.data = r->buf[abs];
            in.len = r->len[abs];
            in.seg = l->payload + (fresh ? skip : len);
            in.seg_len = fresh;
            in.at_cap = r->at_cap[abs];
        } else {
            in.at_cap = (uint8_t)cut;
        }
    }
    af->pkts[abs]++;
    in.pkt = af->pkts[abs];
    uint32_t b = (uint32_t)af->bytes[abs] + (uint32_t)len;
    af->bytes[abs] = (uint16_t)(b > UINT16_MAX ? UINT16_MAX : b);

    /* Names go straight to the flow's entry when it has one. */
    struct rs_appid_out out;
    memset(&out, 0, sizeof out);
    if (af->names) {
        out.info = slab_at(&a->names, af->names - 1);
    } else {
        if (a->scratch_dirty)
            memset(&a->scratch, 0, sizeof a->scratch);
        a->scratch_dirty = 0;
        out.info = &a->scratch;
    }

    if (af->follow) {
        /* Matched already: only the matching dissector looks on. */
        const struct rs_appid_dissector *d = &rs_appid_registry[af->follow - 1];
        uint32_t bit = 1u << (af->follow - 1);
        in.mark = (af->marks & bit) != 0;
        enum rs_appid_verdict v = d->fn(&in, &out);
        if (out.set_mark)
            af->marks |= bit;
        af->also |= out.also;
        if (out.found_name)
            a->scratch_dirty = 1;
        keep_names(a, af, &out);
        if (v != RS_APPID_NEED_MORE)
            finish(a, af, 1);
    } else {
        int m = run_dissectors(&a->hints, &in, &af->cand, &af->marks, &out);
        if (out.found_name)
            a->scratch_dirty = 1;
        if (m >= 0) {
            af->app = (uint8_t)rs_appid_registry[m].app;
            af->also |= out.also;
            keep_names(a, af, &out);
            if (out.follow) {
                af->follow = (uint8_t)(m + 1);
                af->cand = 1u << m;
            } else {
                finish(a, af, 1);
                return;
            }
        } else if (!af->cand) {
            finish(a, af, 0);
            return;
        }
    }
    if (af->state != RS_APPID_LOOKING || !tcp)
        return;

    /* Still looking: keep this direction's first segment for the next one. */
    if (!af->reasm) {
        uint32_t idx = slab_get(&a->reasm);
        if (idx == UINT32_MAX) {
            a->st.reasm_full++;
            return; /* the next segment of this direction ends the look */
        }
        af->reasm = idx + 1;
        r = slab_at(&a->reasm, idx);
        memset(r, 0, offsetof(struct reasm, buf));
    }
    if (!r)
        r = slab_at(&a->reasm, af->reasm - 1);
    if (!r->live[abs]) {
        size_t n = len < RS_APPID_REASM_BYTES ? len : RS_APPID_REASM_BYTES;
        memcpy(r->buf[abs], l->payload, n);
        r->len[abs] = (uint16_t)n;
        r->next_seq[abs] = seq + (uint32_t)n;
        r->live[abs] = 1;
        r->at_cap[abs] = (uint8_t)(n < len || cut || n == RS_APPID_REASM_BYTES);
    }
}

/* ---- standalone use (tests, fuzzing) ---- */

enum rs_appid_verdict
rs_appid_dissect(enum rs_app app, const uint8_t *data, size_t len, uint8_t l4, int side,
                 const uint16_t port[2], struct rs_appid_info *info, enum rs_app *matched)
{
    struct rs_appid_info scratch;
    struct rs_appid_in in;
    struct rs_appid_out out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    if (!info) {
        memset(&scratch, 0, sizeof scratch);
        info = &scratch;
    }
    out.info = info;
    in.data = in.seg = data;
    in.len = in.seg_len = len;
    in.l4 = l4;
    in.side = (uint8_t)(side & 1);
    in.pkt = 1;
    in.port[0] = port[0];
    in.port[1] = port[1];
    if (matched)
        *matched = RS_APP_NONE;
    unsigned want = l4 == 6 ? RS_L4_TCP : RS_L4_UDP;
    if (app != RS_APP_NONE) {
        for (size_t i = 0; i < rs_appid_registry_len; i++) {
            const struct rs_appid_dissector *d = &rs_appid_registry[i];
            if (d->app != app)
                continue;
            if (!(d->l4 & want))
                return RS_APPID_NO;
            enum rs_appid_verdict v = d->fn(&in, &out);
            if (v == RS_APPID_MATCH && matched)
                *matched = app;
            return v;
        }
        return RS_APPID_NO;
    }
    struct rs_appid_hints hints;
    hints_build(&hints);
    uint32_t cand = initial_cand(&hints, l4), marks = 0;
    int m = run_dissectors(&hints, &in, &cand, &marks, &out);
    if (m >= 0) {
        if (matched)
            *matched = rs_appid_registry[m].app;
        return RS_APPID_MATCH;
    }
    return cand ? RS_APPID_NEED_MORE : RS_APPID_NO;
}
