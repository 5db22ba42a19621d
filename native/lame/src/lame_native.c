// LAME (the system's libmp3lame) for Node, through Node-API: one encoder per call, PCM in, MP3 bytes out.
// Node-API keeps it ABI-stable across Node versions and safe to load in worker threads.
#include <lame/lame.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  lame_global_flags *gfp;
  unsigned char *out;
  size_t out_size;
} Encoder;

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) return NULL;               \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void encoder_free(Encoder *encoder) {
  if (encoder->gfp) lame_close(encoder->gfp);
  encoder->gfp = NULL;
  free(encoder->out);
  encoder->out = NULL;
}

static void finalize_encoder(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  encoder_free((Encoder *)data);
  free(data);
}

static Encoder *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not an encoder");
    return NULL;
  }
  Encoder *encoder = (Encoder *)data;
  if (encoder->gfp == NULL) {
    napi_throw_error(env, NULL, "the encoder is closed");
    return NULL;
  }
  return encoder;
}

static int reserve(Encoder *encoder, size_t samples) {
  // LAME's own bound for the output of `samples` input samples.
  size_t needed = samples + samples / 4 + 7200;
  if (needed <= encoder->out_size) return 1;
  unsigned char *grown = realloc(encoder->out, needed);
  if (!grown) return 0;
  encoder->out = grown;
  encoder->out_size = needed;
  return 1;
}

static napi_value to_buffer(napi_env env, const unsigned char *bytes, int length) {
  napi_value buffer;
  void *copy = NULL;
  CHECK(napi_create_buffer_copy(env, (size_t)length, bytes, &copy, &buffer));
  return buffer;
}

// create(sampleRateHz, bitrateKbps, quality): a mono CBR encoder whose output sample rate is its input's.
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sample_rate, bitrate, quality;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_int32(env, argv[0], &sample_rate) != napi_ok || napi_get_value_int32(env, argv[1], &bitrate) != napi_ok ||
      napi_get_value_int32(env, argv[2], &quality) != napi_ok) {
    return throw_error(env, "create(sampleRateHz, bitrateKbps, quality) takes three integers");
  }
  Encoder *encoder = calloc(1, sizeof(Encoder));
  if (!encoder) return throw_error(env, "out of memory");
  encoder->gfp = lame_init();
  if (!encoder->gfp || !reserve(encoder, 8192)) {
    encoder_free(encoder);
    free(encoder);
    return throw_error(env, "LAME could not be initialised");
  }
  lame_set_num_channels(encoder->gfp, 1);
  lame_set_mode(encoder->gfp, MONO);
  lame_set_in_samplerate(encoder->gfp, sample_rate);
  lame_set_out_samplerate(encoder->gfp, sample_rate);
  lame_set_VBR(encoder->gfp, vbr_off);
  lame_set_brate(encoder->gfp, bitrate);
  lame_set_quality(encoder->gfp, quality);
  lame_set_bWriteVbrTag(encoder->gfp, 0);
  lame_set_write_id3tag_automatic(encoder->gfp, 0);
  if (lame_init_params(encoder->gfp) < 0) {
    encoder_free(encoder);
    free(encoder);
    return throw_error(env, "LAME refused the parameters");
  }
  napi_value handle;
  if (napi_create_external(env, encoder, finalize_encoder, NULL, &handle) != napi_ok) {
    encoder_free(encoder);
    free(encoder);
    return NULL;
  }
  return handle;
}

// The encoder a call is about, as its first argument, with the others in `argv`.
static Encoder *encoder_argument(napi_env env, napi_callback_info info, napi_value *argv, size_t wanted, const char *usage) {
  size_t argc = wanted;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < wanted) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return unwrap(env, argv[0]);
}

// encode(encoder, pcm: Int16Array): the MP3 bytes this input completed (often none).
static napi_value encode(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Encoder *encoder = encoder_argument(env, info, argv, 2, "encode(encoder, pcm: Int16Array)");
  if (!encoder) return NULL;
  bool is_typed_array = false;
  napi_typedarray_type type = napi_uint8_array;
  size_t length = 0;
  void *data = NULL;
  CHECK(napi_is_typedarray(env, argv[1], &is_typed_array));
  if (is_typed_array) CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int16_array) return throw_error(env, "pcm must be an Int16Array");
  if (!reserve(encoder, length)) return throw_error(env, "out of memory");
  int written = lame_encode_buffer(encoder->gfp, (const short *)data, NULL, (int)length, encoder->out, (int)encoder->out_size);
  if (written < 0) return throw_error(env, "LAME failed to encode");
  return to_buffer(env, encoder->out, written);
}

// flush(encoder): the last MP3 bytes; the encoder is closed afterwards.
static napi_value flush(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Encoder *encoder = encoder_argument(env, info, argv, 1, "flush(encoder)");
  if (!encoder) return NULL;
  if (!reserve(encoder, 8192)) return throw_error(env, "out of memory");
  int written = lame_encode_flush(encoder->gfp, encoder->out, (int)encoder->out_size);
  if (written < 0) return throw_error(env, "LAME failed to flush");
  napi_value buffer = to_buffer(env, encoder->out, written);
  encoder_free(encoder);
  return buffer;
}

// version(): the linked LAME's version, e.g. "3.100".
static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_create_string_utf8(env, get_lame_short_version(), NAPI_AUTO_LENGTH, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"encode", NULL, encode, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, flush, NULL, NULL, NULL, napi_default, NULL},
      {"version", NULL, version, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties) != napi_ok) return NULL;
  return exports;
}
