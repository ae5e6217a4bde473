/*
 * Reads and restores a PocketSphinx decoder's live cepstral-mean estimate, which lives in
 * a struct field (feat_t.cmn_struct) that has no accessor: C reads it with the installed
 * headers' own layout, so Rust never has to mirror that struct. Compiled by build.rs.
 *
 * The estimate adapts to every utterance a decoder hears and survives ps_start_stream;
 * restoring the model's initial one before each utterance makes a result independent of
 * what the (pooled) decoder heard before.
 */
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

/* Length of the estimate (cepstral coefficients), or 0 if the decoder has none. */
int huashu_ps_cmn_len(ps_decoder_t *ps)
{
    feat_t *feat = ps_get_feat(ps);
    if (feat == NULL || feat->cmn_struct == NULL)
        return 0;
    return feat->cmn_struct->veclen;
}

/* Copies the estimate into `out` (huashu_ps_cmn_len values). */
void huashu_ps_cmn_get(ps_decoder_t *ps, mfcc_t *out)
{
    cmn_live_get(ps_get_feat(ps)->cmn_struct, out);
}

/* Replaces the estimate (and its running sums) with `in` (huashu_ps_cmn_len values). */
void huashu_ps_cmn_set(ps_decoder_t *ps, mfcc_t const *in)
{
    cmn_live_set(ps_get_feat(ps)->cmn_struct, in);
}
