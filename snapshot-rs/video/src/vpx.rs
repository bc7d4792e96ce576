//! The few parts of libvpx 1.12 (`vpx/vpx_encoder.h`, `vpx/vp8cx.h`, and for tests the decoder) that
//! encoding VP8 needs, declared by hand. The struct layouts are those of the headers of Debian's
//! libvpx-dev 1.12 on 64-bit Linux; a test checks their sizes and offsets against the values the C
//! compiler gives, and another that the library fills them as the headers say.

use std::ffi::{CStr, c_char, c_int, c_long, c_uint, c_ulong, c_void};
use std::ptr;

use infidraw_render::I420;

/// `VPX_ENCODER_ABI_VERSION` of libvpx 1.12.
const ENCODER_ABI_VERSION: c_int = 25;
/// `VPX_IMG_FMT_I420`.
const IMG_FMT_I420: c_uint = 0x102;
/// `VPX_CODEC_CX_FRAME_PKT`.
const FRAME_PKT: c_uint = 0;
/// `VPX_FRAME_IS_KEY`.
const FRAME_IS_KEY: u32 = 1;
/// `VPX_EFLAG_FORCE_KF`.
const FORCE_KEYFRAME: c_long = 1;
/// `VPX_DL_REALTIME`: the fastest deadline.
const DEADLINE_REALTIME: c_ulong = 1;
/// `VPX_VBR`.
const RC_VBR: c_uint = 0;
/// `VPX_KF_AUTO`.
const KF_AUTO: c_uint = 1;
/// `VP8E_SET_CPUUSED`.
const SET_CPUUSED: c_int = 13;
/// `VP8E_SET_STATIC_THRESHOLD`.
const SET_STATIC_THRESHOLD: c_int = 17;
/// `VP8E_SET_SCREEN_CONTENT_MODE`.
const SET_SCREEN_CONTENT_MODE: c_int = 31;

/// `vpx_codec_ctx_t`.
#[repr(C)]
pub(crate) struct CodecCtx {
    name: *const c_char,
    iface: *const c_void,
    err: c_uint,
    err_detail: *const c_char,
    init_flags: c_long,
    config: *const c_void,
    priv_: *mut c_void,
}

/// `vpx_image_t`.
#[repr(C)]
pub(crate) struct Image {
    fmt: c_uint,
    cs: c_uint,
    range: c_uint,
    w: c_uint,
    h: c_uint,
    bit_depth: c_uint,
    d_w: c_uint,
    d_h: c_uint,
    r_w: c_uint,
    r_h: c_uint,
    x_chroma_shift: c_uint,
    y_chroma_shift: c_uint,
    planes: [*mut u8; 4],
    stride: [c_int; 4],
    bps: c_int,
    user_priv: *mut c_void,
    img_data: *mut u8,
    img_data_owner: c_int,
    self_allocd: c_int,
    fb_priv: *mut c_void,
}

/// `vpx_rational_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rational {
    num: c_int,
    den: c_int,
}

/// `vpx_fixed_buf_t`.
#[repr(C)]
#[derive(Clone, Copy)]
struct FixedBuf {
    buf: *mut c_void,
    sz: usize,
}

/// `vpx_codec_enc_cfg_t`, field for field.
#[repr(C)]
pub(crate) struct EncCfg {
    g_usage: c_uint,
    g_threads: c_uint,
    g_profile: c_uint,
    g_w: c_uint,
    g_h: c_uint,
    g_bit_depth: c_uint,
    g_input_bit_depth: c_uint,
    g_timebase: Rational,
    g_error_resilient: u32,
    g_pass: c_uint,
    g_lag_in_frames: c_uint,
    rc_dropframe_thresh: c_uint,
    rc_resize_allowed: c_uint,
    rc_scaled_width: c_uint,
    rc_scaled_height: c_uint,
    rc_resize_up_thresh: c_uint,
    rc_resize_down_thresh: c_uint,
    rc_end_usage: c_uint,
    rc_twopass_stats_in: FixedBuf,
    rc_firstpass_mb_stats_in: FixedBuf,
    rc_target_bitrate: c_uint,
    rc_min_quantizer: c_uint,
    rc_max_quantizer: c_uint,
    rc_undershoot_pct: c_uint,
    rc_overshoot_pct: c_uint,
    rc_buf_sz: c_uint,
    rc_buf_initial_sz: c_uint,
    rc_buf_optimal_sz: c_uint,
    rc_2pass_vbr_bias_pct: c_uint,
    rc_2pass_vbr_minsection_pct: c_uint,
    rc_2pass_vbr_maxsection_pct: c_uint,
    rc_2pass_vbr_corpus_complexity: c_uint,
    kf_mode: c_uint,
    kf_min_dist: c_uint,
    kf_max_dist: c_uint,
    ss_number_layers: c_uint,
    ss_enable_auto_alt_ref: [c_int; 5],
    ss_target_bitrate: [c_uint; 5],
    ts_number_layers: c_uint,
    ts_target_bitrate: [c_uint; 5],
    ts_rate_decimator: [c_uint; 5],
    ts_periodicity: c_uint,
    ts_layer_id: [c_uint; 16],
    layer_target_bitrate: [c_uint; 12],
    temporal_layering_mode: c_int,
    use_vizier_rc_params: c_int,
    /// The fifteen `vpx_rational_t` tuning factors of the Vizier rate control, unused here.
    vizier_factors: [Rational; 15],
}

/// The frame member of `vpx_codec_cx_pkt_t`'s union.
#[repr(C)]
#[derive(Clone, Copy)]
struct FramePkt {
    buf: *const c_void,
    sz: usize,
    pts: i64,
    duration: c_ulong,
    flags: u32,
    partition_id: c_int,
    width: [c_uint; 5],
    height: [c_uint; 5],
    spatial_layer_encoded: [u8; 5],
}

/// `vpx_codec_cx_pkt_t`'s union, with its padding member that sets its size.
#[repr(C)]
union PktData {
    frame: FramePkt,
    pad: [c_char; 124],
}

/// `vpx_codec_cx_pkt_t`.
#[repr(C)]
pub(crate) struct CxPkt {
    kind: c_uint,
    data: PktData,
}

unsafe extern "C" {
    fn vpx_codec_vp8_cx() -> *const c_void;
    fn vpx_codec_enc_config_default(
        iface: *const c_void,
        cfg: *mut EncCfg,
        usage: c_uint,
    ) -> c_uint;
    fn vpx_codec_enc_init_ver(
        ctx: *mut CodecCtx,
        iface: *const c_void,
        cfg: *const EncCfg,
        flags: c_long,
        ver: c_int,
    ) -> c_uint;
    fn vpx_codec_control_(ctx: *mut CodecCtx, ctrl_id: c_int, ...) -> c_uint;
    fn vpx_codec_encode(
        ctx: *mut CodecCtx,
        img: *const Image,
        pts: i64,
        duration: c_ulong,
        flags: c_long,
        deadline: c_ulong,
    ) -> c_uint;
    fn vpx_codec_get_cx_data(ctx: *mut CodecCtx, iter: *mut *const c_void) -> *const CxPkt;
    fn vpx_codec_destroy(ctx: *mut CodecCtx) -> c_uint;
    fn vpx_codec_error(ctx: *const CodecCtx) -> *const c_char;
    fn vpx_codec_error_detail(ctx: *const CodecCtx) -> *const c_char;
    fn vpx_codec_err_to_string(err: c_uint) -> *const c_char;
    fn vpx_img_wrap(
        img: *mut Image,
        fmt: c_uint,
        d_w: c_uint,
        d_h: c_uint,
        stride_align: c_uint,
        img_data: *mut u8,
    ) -> *mut Image;
}

/// How a VP8 encoder is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncoderSettings {
    /// Picture width in pixels (even).
    pub width: u32,
    /// Picture height in pixels (even).
    pub height: u32,
    /// Frames per second; every frame lasts one tick of 1 / `frame_rate` s.
    pub frame_rate: u32,
    /// Target bitrate in kbit/s (the quantizer bound wins where they disagree).
    pub bitrate_kbps: u32,
    /// The coarsest quantizer allowed (0–63): lower keeps thin lines crisper and costs bytes.
    pub max_quantizer: u32,
    /// Most frames between keyframes.
    pub keyframe_interval: u32,
    /// Encoder threads.
    pub threads: u32,
    /// libvpx's speed setting for VP8, 0–16: higher is faster and coarser.
    pub speed: i32,
}

/// One encoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The VP8 frame.
    pub data: Vec<u8>,
    /// Whether it is a keyframe (decodable alone, where a player can seek to).
    pub key: bool,
    /// Its frame number, counting from 0.
    pub frame: i64,
}

/// A libvpx VP8 encoder at the realtime deadline.
pub struct Encoder {
    // Boxed: libvpx keeps pointers into the context and its configuration.
    ctx: Box<CodecCtx>,
    _cfg: Box<EncCfg>,
    width: u32,
    height: u32,
}

impl Encoder {
    /// Opens an encoder; fails with libvpx's message on settings it refuses.
    pub fn new(s: &EncoderSettings) -> Result<Encoder, String> {
        let frame_rate = c_int::try_from(s.frame_rate).map_err(|e| e.to_string())?;
        // SAFETY: EncCfg and CodecCtx are plain data that libvpx fills; zero is a valid bit pattern
        // for every field (null pointers, zero numbers).
        let mut cfg: Box<EncCfg> = Box::new(unsafe { std::mem::zeroed() });
        let mut ctx: Box<CodecCtx> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: a valid interface and a configuration of the header's layout.
        let err = unsafe { vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &mut *cfg, 0) };
        check(err, None)?;
        cfg.g_w = s.width;
        cfg.g_h = s.height;
        cfg.g_timebase = Rational {
            num: 1,
            den: frame_rate,
        };
        cfg.g_threads = s.threads;
        cfg.g_lag_in_frames = 0;
        cfg.g_error_resilient = 0;
        // Every frame is kept: the video must have exactly the frames asked for.
        cfg.rc_dropframe_thresh = 0;
        cfg.rc_resize_allowed = 0;
        cfg.rc_end_usage = RC_VBR;
        cfg.rc_target_bitrate = s.bitrate_kbps;
        cfg.rc_min_quantizer = 2;
        cfg.rc_max_quantizer = s.max_quantizer;
        // Mostly static pictures: let a frame that changes a lot overshoot rather than blur.
        cfg.rc_overshoot_pct = 100;
        cfg.rc_undershoot_pct = 100;
        cfg.kf_mode = KF_AUTO;
        cfg.kf_min_dist = 0;
        cfg.kf_max_dist = s.keyframe_interval;
        // SAFETY: ctx and cfg are boxed and outlive the context (dropped after vpx_codec_destroy).
        let err = unsafe {
            vpx_codec_enc_init_ver(&mut *ctx, vpx_codec_vp8_cx(), &*cfg, 0, ENCODER_ABI_VERSION)
        };
        check(err, None)?;
        let mut encoder = Encoder {
            ctx,
            _cfg: cfg,
            width: s.width,
            height: s.height,
        };
        encoder.control(SET_CPUUSED, s.speed)?;
        // Macroblocks that barely changed are skipped: most of a drawing is still from frame to frame.
        encoder.control(SET_STATIC_THRESHOLD, 1)?;
        encoder.control(SET_SCREEN_CONTENT_MODE, 1)?;
        Ok(encoder)
    }

    fn control(&mut self, id: c_int, value: c_int) -> Result<(), String> {
        // SAFETY: these controls take one int.
        let err = unsafe { vpx_codec_control_(&mut *self.ctx, id, value) };
        check(err, Some(&self.ctx))
    }

    /// Encodes frame number `frame` (its time is `frame` / frame rate) and appends the packets that
    /// came out to `out`.
    pub fn encode(
        &mut self,
        picture: &I420,
        frame: i64,
        force_key: bool,
        out: &mut Vec<Packet>,
    ) -> Result<(), String> {
        if (picture.width(), picture.height()) != (self.width, self.height) {
            return Err(format!(
                "a {}x{} picture for a {}x{} encoder",
                picture.width(),
                picture.height(),
                self.width,
                self.height
            ));
        }
        let [y, u, v] = picture.planes();
        // SAFETY: all-zero is a valid Image; vpx_img_wrap fills it for a contiguous buffer, and the
        // planes are then pointed at the picture's three buffers, which outlive the call. libvpx only
        // reads input pictures.
        let mut img: Image = unsafe { std::mem::zeroed() };
        unsafe {
            vpx_img_wrap(
                &mut img,
                IMG_FMT_I420,
                self.width,
                self.height,
                1,
                y.as_ptr().cast_mut(),
            )
        };
        img.planes = [
            y.as_ptr().cast_mut(),
            u.as_ptr().cast_mut(),
            v.as_ptr().cast_mut(),
            ptr::null_mut(),
        ];
        let half = (self.width / 2) as c_int;
        img.stride = [self.width as c_int, half, half, 0];
        let flags = if force_key { FORCE_KEYFRAME } else { 0 };
        // SAFETY: img describes valid planes of the encoder's size.
        let err =
            unsafe { vpx_codec_encode(&mut *self.ctx, &img, frame, 1, flags, DEADLINE_REALTIME) };
        check(err, Some(&self.ctx))?;
        self.drain(out);
        Ok(())
    }

    /// Flushes the frames libvpx still holds into `out`.
    pub fn finish(&mut self, out: &mut Vec<Packet>) -> Result<(), String> {
        // SAFETY: a null image flushes.
        let err =
            unsafe { vpx_codec_encode(&mut *self.ctx, ptr::null(), 0, 1, 0, DEADLINE_REALTIME) };
        check(err, Some(&self.ctx))?;
        self.drain(out);
        Ok(())
    }

    fn drain(&mut self, out: &mut Vec<Packet>) {
        let mut iter: *const c_void = ptr::null();
        loop {
            // SAFETY: the iterator starts null and is only advanced by libvpx; a packet stays valid
            // until the next call on the context.
            let pkt = unsafe { vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            let Some(pkt) = (unsafe { pkt.as_ref() }) else {
                break;
            };
            if pkt.kind != FRAME_PKT {
                continue;
            }
            // SAFETY: a frame packet's union holds its frame member.
            let f = unsafe { pkt.data.frame };
            // SAFETY: libvpx hands out sz bytes at buf.
            let data = unsafe { std::slice::from_raw_parts(f.buf.cast::<u8>(), f.sz) }.to_vec();
            out.push(Packet {
                data,
                key: f.flags & FRAME_IS_KEY != 0,
                frame: f.pts,
            });
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in new and is destroyed once.
        unsafe { vpx_codec_destroy(&mut *self.ctx) };
    }
}

/// Ok for `VPX_CODEC_OK`, else libvpx's message (with the context's detail when there is one).
fn check(err: c_uint, ctx: Option<&CodecCtx>) -> Result<(), String> {
    if err == 0 {
        return Ok(());
    }
    let text = |p: *const c_char| {
        // SAFETY: libvpx returns null or a NUL-terminated static or context-owned string.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let mut message = match ctx {
        Some(ctx) => text(unsafe { vpx_codec_error(ctx) }),
        None => None,
    }
    .or_else(|| text(unsafe { vpx_codec_err_to_string(err) }))
    .unwrap_or_else(|| format!("libvpx error {err}"));
    if let Some(detail) = ctx.and_then(|ctx| text(unsafe { vpx_codec_error_detail(ctx) })) {
        message = format!("{message}: {detail}");
    }
    Err(message)
}

/// A libvpx VP8 decoder, to check in tests what the encoder wrote.
#[cfg(test)]
pub(crate) mod decoder {
    use super::*;

    /// `VPX_DECODER_ABI_VERSION` of libvpx 1.12.
    const DECODER_ABI_VERSION: c_int = 12;

    unsafe extern "C" {
        fn vpx_codec_vp8_dx() -> *const c_void;
        fn vpx_codec_dec_init_ver(
            ctx: *mut CodecCtx,
            iface: *const c_void,
            cfg: *const c_void,
            flags: c_long,
            ver: c_int,
        ) -> c_uint;
        fn vpx_codec_decode(
            ctx: *mut CodecCtx,
            data: *const u8,
            size: c_uint,
            user_priv: *mut c_void,
            deadline: c_long,
        ) -> c_uint;
        fn vpx_codec_get_frame(ctx: *mut CodecCtx, iter: *mut *const c_void) -> *const Image;
    }

    /// A decoded picture: its planes without padding.
    pub struct Decoded {
        pub width: usize,
        pub height: usize,
        pub y: Vec<u8>,
        pub u: Vec<u8>,
        pub v: Vec<u8>,
    }

    pub struct Decoder {
        ctx: Box<CodecCtx>,
    }

    impl Decoder {
        pub fn new() -> Decoder {
            let mut ctx: Box<CodecCtx> = Box::new(unsafe { std::mem::zeroed() });
            let err = unsafe {
                vpx_codec_dec_init_ver(
                    &mut *ctx,
                    vpx_codec_vp8_dx(),
                    ptr::null(),
                    0,
                    DECODER_ABI_VERSION,
                )
            };
            check(err, None).unwrap();
            Decoder { ctx }
        }

        /// Decodes one frame.
        pub fn decode(&mut self, frame: &[u8]) -> Result<Decoded, String> {
            let err = unsafe {
                vpx_codec_decode(
                    &mut *self.ctx,
                    frame.as_ptr(),
                    frame.len() as c_uint,
                    ptr::null_mut(),
                    0,
                )
            };
            check(err, Some(&self.ctx))?;
            let mut iter: *const c_void = ptr::null();
            let img = unsafe { vpx_codec_get_frame(&mut *self.ctx, &mut iter).as_ref() }
                .ok_or("no picture came out")?;
            assert_eq!(img.fmt, IMG_FMT_I420);
            let (w, h) = (img.d_w as usize, img.d_h as usize);
            let plane = |p: usize, pw: usize, ph: usize| {
                let stride = img.stride[p] as usize;
                let mut out = Vec::with_capacity(pw * ph);
                for row in 0..ph {
                    let start = unsafe { img.planes[p].add(row * stride) };
                    out.extend_from_slice(unsafe { std::slice::from_raw_parts(start, pw) });
                }
                out
            };
            Ok(Decoded {
                width: w,
                height: h,
                y: plane(0, w, h),
                u: plane(1, w.div_ceil(2), h.div_ceil(2)),
                v: plane(2, w.div_ceil(2), h.div_ceil(2)),
            })
        }
    }

    impl Drop for Decoder {
        fn drop(&mut self) {
            unsafe { vpx_codec_destroy(&mut *self.ctx) };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;

    /// The sizes and offsets that gcc gives for libvpx 1.12's headers on x86-64 Linux (sizeof and
    /// offsetof of vpx_codec_ctx_t, vpx_image_t, vpx_codec_enc_cfg_t and vpx_codec_cx_pkt_t).
    #[test]
    fn the_declared_structs_have_the_headers_layout() {
        assert_eq!(size_of::<CodecCtx>(), 56);
        assert_eq!(size_of::<Image>(), 136);
        assert_eq!(offset_of!(Image, d_w), 24);
        assert_eq!(offset_of!(Image, planes), 48);
        assert_eq!(offset_of!(Image, stride), 80);
        assert_eq!(size_of::<EncCfg>(), 504);
        assert_eq!(offset_of!(EncCfg, g_threads), 4);
        assert_eq!(offset_of!(EncCfg, g_w), 12);
        assert_eq!(offset_of!(EncCfg, g_timebase), 28);
        assert_eq!(offset_of!(EncCfg, g_error_resilient), 36);
        assert_eq!(offset_of!(EncCfg, g_lag_in_frames), 44);
        assert_eq!(offset_of!(EncCfg, rc_dropframe_thresh), 48);
        assert_eq!(offset_of!(EncCfg, rc_end_usage), 72);
        assert_eq!(offset_of!(EncCfg, rc_target_bitrate), 112);
        assert_eq!(offset_of!(EncCfg, rc_min_quantizer), 116);
        assert_eq!(offset_of!(EncCfg, rc_max_quantizer), 120);
        assert_eq!(offset_of!(EncCfg, kf_mode), 160);
        assert_eq!(offset_of!(EncCfg, kf_max_dist), 168);
        // rd_mult_key_qp_fac, the last of the fifteen rationals.
        assert_eq!(offset_of!(EncCfg, vizier_factors) + 14 * 8, 496);
        assert_eq!(size_of::<CxPkt>(), 136);
        assert_eq!(offset_of!(CxPkt, data) + offset_of!(FramePkt, flags), 40);
    }

    /// libvpx fills the configuration where the headers put its fields: VP8's defaults.
    #[test]
    fn libvpx_fills_the_configuration_as_the_headers_say() {
        let mut cfg: EncCfg = unsafe { std::mem::zeroed() };
        let err = unsafe { vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &mut cfg, 0) };
        assert_eq!(err, 0);
        assert_eq!((cfg.g_w, cfg.g_h), (320, 240));
        assert_eq!(cfg.g_timebase, Rational { num: 1, den: 30 });
        assert_eq!((cfg.rc_min_quantizer, cfg.rc_max_quantizer), (4, 63));
        assert_eq!((cfg.rc_target_bitrate, cfg.kf_max_dist), (256, 128));
        assert_eq!(cfg.rc_buf_sz, 6000);
    }

    #[test]
    fn settings_libvpx_refuses_are_an_error_with_its_message() {
        let bad = EncoderSettings {
            width: 0,
            height: 0,
            frame_rate: 30,
            bitrate_kbps: 100,
            max_quantizer: 40,
            keyframe_interval: 60,
            threads: 1,
            speed: 8,
        };
        let err = Encoder::new(&bad).err().expect("a 0x0 encoder is refused");
        assert!(!err.is_empty());
    }
}
