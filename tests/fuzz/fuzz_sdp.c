/* libFuzzer harness for the SDP answer parser and fingerprint decoder.
 * Seed it with the captured answers: fuzz_sdp CORPUS tests/fixtures/sdp */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webrtc/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sdp_answer answer;
    char err[128];
    /* The bytes as they come: not NUL-terminated, so ASan sees over-reads. */
    if (sdp_parse_answer((const char *)data, size, &answer, err, sizeof err) == 0) {
        /* What a successful parse promises. */
        if (answer.n_media == 0 || answer.n_media > SDP_MAX_MEDIA || answer.ice_ufrag[0] == '\0' ||
            answer.ice_pwd[0] == '\0' || answer.setup[0] == '\0')
            abort();
        uint8_t fp[32];
        if (sdp_fingerprint_decode(answer.fingerprint, fp) != 0)
            abort();
        for (size_t i = 0; i < answer.n_media; i++) {
            const sdp_answer_media *m = &answer.media[i];
            if (m->mid[0] == '\0' || m->n_ssrcs > SDP_MAX_SSRCS || m->n_pts == 0 ||
                m->n_pts > SDP_MAX_PTS || memchr(m->cname, '\0', sizeof m->cname) == NULL)
                abort();
        }
    } else if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0') {
        abort();
    }

    /* The decoder takes a C string. */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    uint8_t out[32];
    (void)sdp_fingerprint_decode(s, out);
    free(s);
    return 0;
}
