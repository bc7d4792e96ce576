//! A small WebM (Matroska) muxer for one VP8 video track, and a reader of what it writes.
//!
//! The file is written whole once every frame is in, so every size is known: the EBML header, then a
//! Segment of known size holding a SeekHead (to Info, Tracks and Cues), Info with the Duration and a
//! millisecond TimecodeScale, Tracks with one `V_VP8` track, one Cluster per keyframe with the frames
//! as SimpleBlocks, and Cues pointing at every cluster so that players can seek.

use std::fmt;

// Element IDs (with their length marker bits, as they are written).
const EBML: u32 = 0x1A45_DFA3;
const EBML_VERSION: u32 = 0x4286;
const EBML_READ_VERSION: u32 = 0x42F7;
const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
const DOC_TYPE: u32 = 0x4282;
const DOC_TYPE_VERSION: u32 = 0x4287;
const DOC_TYPE_READ_VERSION: u32 = 0x4285;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const MUXING_APP: u32 = 0x4D80;
const WRITING_APP: u32 = 0x5741;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_UID: u32 = 0x73C5;
const TRACK_TYPE: u32 = 0x83;
const FLAG_LACING: u32 = 0x9C;
const CODEC_ID: u32 = 0x86;
const DEFAULT_DURATION: u32 = 0x23_E383;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const CUES: u32 = 0x1C53_BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;

/// Nanoseconds per timecode: timecodes are milliseconds.
const TIMECODE_SCALE_NS: u64 = 1_000_000;
/// A cluster's blocks are at most this far (ms) from its timecode (the offset is an int16).
const MAX_CLUSTER_SPAN_MS: i64 = 30_000;
/// The one track.
const TRACK: u64 = 1;

/// Collects encoded VP8 frames and writes them as one WebM file.
pub struct WebmWriter {
    width: u32,
    height: u32,
    frame_rate: u32,
    /// Clusters written so far, each complete.
    clusters: Vec<u8>,
    /// (timecode in ms, offset of the cluster within `clusters`) of every cluster.
    cues: Vec<(i64, usize)>,
    /// The cluster being filled: its timecode and its blocks.
    open: Option<(i64, Vec<u8>)>,
    frames: u64,
}

impl WebmWriter {
    /// A writer for a `width` × `height` video at `frame_rate` frames per second.
    pub fn new(width: u32, height: u32, frame_rate: u32) -> WebmWriter {
        WebmWriter {
            width,
            height,
            frame_rate,
            clusters: Vec::new(),
            cues: Vec::new(),
            open: None,
            frames: 0,
        }
    }

    /// The time of frame `k` in milliseconds.
    fn time_ms(&self, k: u64) -> i64 {
        ((k * 1000 + u64::from(self.frame_rate) / 2) / u64::from(self.frame_rate)) as i64
    }

    /// Appends the next frame; a keyframe starts a new cluster (the first frame must be one).
    pub fn push(&mut self, frame: &[u8], key: bool) {
        let time = self.time_ms(self.frames);
        self.frames += 1;
        let start_new = match &self.open {
            None => true,
            Some((start, _)) => key || time - start > MAX_CLUSTER_SPAN_MS,
        };
        if start_new {
            self.close_cluster();
            let mut body = Vec::new();
            uint(&mut body, TIMECODE, time as u64);
            self.open = Some((time, body));
        }
        let (start, body) = self.open.as_mut().expect("a cluster is open");
        let mut block = Vec::with_capacity(frame.len() + 4);
        block.push(0x80 | TRACK as u8);
        block.extend_from_slice(&((time - *start) as i16).to_be_bytes());
        block.push(if key { 0x80 } else { 0 });
        block.extend_from_slice(frame);
        element(body, SIMPLE_BLOCK, &block);
    }

    fn close_cluster(&mut self) {
        if let Some((time, body)) = self.open.take() {
            self.cues.push((time, self.clusters.len()));
            element(&mut self.clusters, CLUSTER, &body);
        }
    }

    /// The whole file; its Duration is the frames pushed over the frame rate.
    pub fn finish(mut self) -> Vec<u8> {
        self.close_cluster();
        let mut out = Vec::with_capacity(self.clusters.len() + 1024);
        let mut header = Vec::new();
        uint(&mut header, EBML_VERSION, 1);
        uint(&mut header, EBML_READ_VERSION, 1);
        uint(&mut header, EBML_MAX_ID_LENGTH, 4);
        uint(&mut header, EBML_MAX_SIZE_LENGTH, 8);
        string(&mut header, DOC_TYPE, "webm");
        uint(&mut header, DOC_TYPE_VERSION, 4);
        uint(&mut header, DOC_TYPE_READ_VERSION, 2);
        element(&mut out, EBML, &header);

        let mut info = Vec::new();
        uint(&mut info, TIMECODE_SCALE, TIMECODE_SCALE_NS);
        let duration_ms = self.frames as f64 * 1000.0 / f64::from(self.frame_rate);
        float(&mut info, DURATION, duration_ms);
        string(&mut info, MUXING_APP, "infidraw");
        string(&mut info, WRITING_APP, "infidraw snapshot-rs");
        let mut info_el = Vec::new();
        element(&mut info_el, INFO, &info);

        let mut video = Vec::new();
        uint(&mut video, PIXEL_WIDTH, u64::from(self.width));
        uint(&mut video, PIXEL_HEIGHT, u64::from(self.height));
        let mut entry = Vec::new();
        uint(&mut entry, TRACK_NUMBER, TRACK);
        uint(&mut entry, TRACK_UID, TRACK);
        uint(&mut entry, TRACK_TYPE, 1);
        uint(&mut entry, FLAG_LACING, 0);
        string(&mut entry, CODEC_ID, "V_VP8");
        uint(
            &mut entry,
            DEFAULT_DURATION,
            1_000_000_000 / u64::from(self.frame_rate),
        );
        element(&mut entry, VIDEO, &video);
        let mut tracks = Vec::new();
        element(&mut tracks, TRACK_ENTRY, &entry);
        let mut tracks_el = Vec::new();
        element(&mut tracks_el, TRACKS, &tracks);

        // Positions are from the start of the Segment's data; the SeekHead's size does not depend on
        // them (fixed-width positions), so it is measured with zeros first.
        let seek_head_len = seek_head(0, 0, 0).len();
        let info_at = seek_head_len;
        let tracks_at = info_at + info_el.len();
        let clusters_at = tracks_at + tracks_el.len();
        let cues_at = clusters_at + self.clusters.len();
        let mut cues = Vec::new();
        for &(time, offset) in &self.cues {
            let mut pos = Vec::new();
            uint(&mut pos, CUE_TRACK, TRACK);
            uint(
                &mut pos,
                CUE_CLUSTER_POSITION,
                (clusters_at + offset) as u64,
            );
            let mut point = Vec::new();
            uint(&mut point, CUE_TIME, time as u64);
            element(&mut point, CUE_TRACK_POSITIONS, &pos);
            element(&mut cues, CUE_POINT, &point);
        }
        let mut cues_el = Vec::new();
        element(&mut cues_el, CUES, &cues);

        let segment_len = cues_at + cues_el.len();
        id(&mut out, SEGMENT);
        size(&mut out, segment_len as u64);
        out.extend_from_slice(&seek_head(info_at, tracks_at, cues_at));
        out.extend_from_slice(&info_el);
        out.extend_from_slice(&tracks_el);
        out.extend_from_slice(&self.clusters);
        out.extend_from_slice(&cues_el);
        out
    }
}

/// The SeekHead element pointing at Info, Tracks and Cues, with 8-byte positions.
fn seek_head(info: usize, tracks: usize, cues: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for (target, at) in [(INFO, info), (TRACKS, tracks), (CUES, cues)] {
        let mut seek = Vec::new();
        let mut target_id = Vec::new();
        id(&mut target_id, target);
        element(&mut seek, SEEK_ID, &target_id);
        id(&mut seek, SEEK_POSITION);
        size(&mut seek, 8);
        seek.extend_from_slice(&(at as u64).to_be_bytes());
        element(&mut body, SEEK, &seek);
    }
    let mut out = Vec::new();
    element(&mut out, SEEK_HEAD, &body);
    out
}

fn id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    out.extend_from_slice(&bytes[skip..]);
}

/// An element size as the shortest EBML variable-length integer (all ones is reserved for
/// "unknown", so a length with all value bits set takes one byte more).
fn size(out: &mut Vec<u8>, n: u64) {
    let mut len = 1;
    while len < 8 && n >= (1u64 << (7 * len)) - 1 {
        len += 1;
    }
    let marked = n | (1u64 << (7 * len));
    out.extend_from_slice(&marked.to_be_bytes()[8 - len..]);
}

fn element(out: &mut Vec<u8>, element_id: u32, body: &[u8]) {
    id(out, element_id);
    size(out, body.len() as u64);
    out.extend_from_slice(body);
}

fn uint(out: &mut Vec<u8>, element_id: u32, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    element(out, element_id, &bytes[skip..]);
}

fn float(out: &mut Vec<u8>, element_id: u32, v: f64) {
    element(out, element_id, &v.to_be_bytes());
}

fn string(out: &mut Vec<u8>, element_id: u32, s: &str) {
    element(out, element_id, s.as_bytes());
}

/// What [`read_webm`] found in a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WebmInfo {
    /// The EBML DocType.
    pub doc_type: String,
    /// Nanoseconds per timecode.
    pub timecode_scale_ns: u64,
    /// The Duration, in timecodes.
    pub duration: f64,
    /// The track's CodecID.
    pub codec_id: String,
    /// The track's pixel size.
    pub width: u32,
    /// The track's pixel height.
    pub height: u32,
    /// The track's DefaultDuration in nanoseconds.
    pub default_duration_ns: u64,
    /// Every frame in order.
    pub frames: Vec<WebmFrame>,
    /// (time, cluster position) of every cue point.
    pub cues: Vec<(u64, u64)>,
    /// Positions (from the Segment's data) of the clusters.
    pub cluster_positions: Vec<u64>,
}

/// One SimpleBlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebmFrame {
    /// Time in timecodes: the cluster's timecode plus the block's offset.
    pub time: i64,
    /// The keyframe flag.
    pub key: bool,
    /// The frame's bytes.
    pub data: Vec<u8>,
}

/// Why [`read_webm`] could not read a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebmReadError(String);

impl fmt::Display for WebmReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a WebM file this muxer writes: {}", self.0)
    }
}

impl std::error::Error for WebmReadError {}

/// Reads back a file of one video track as [`WebmWriter`] writes it, checking the element
/// structure, sizes and seek positions: for tests and tools.
pub fn read_webm(bytes: &[u8]) -> Result<WebmInfo, WebmReadError> {
    let err = |m: String| WebmReadError(m);
    let mut info = WebmInfo::default();
    let mut r = Reader { bytes, pos: 0 };
    let (top, header) = r.element().map_err(err)?;
    if top != EBML {
        return Err(err(format!("starts with element {top:#x}")));
    }
    let mut h = Reader {
        bytes: header,
        pos: 0,
    };
    while !h.done() {
        let (id, body) = h.element().map_err(err)?;
        if id == DOC_TYPE {
            info.doc_type = String::from_utf8_lossy(body).into_owned();
        }
    }
    let (seg, segment) = r.element().map_err(err)?;
    if seg != SEGMENT || !r.done() {
        return Err(err(
            "one Segment must follow the header and end the file".into()
        ));
    }
    let mut s = Reader {
        bytes: segment,
        pos: 0,
    };
    let mut seeks = Vec::new();
    let mut at = std::collections::HashMap::new();
    while !s.done() {
        let start = s.pos;
        let (id, body) = s.element().map_err(err)?;
        at.insert(id, start as u64);
        let mut b = Reader {
            bytes: body,
            pos: 0,
        };
        match id {
            SEEK_HEAD => {
                while !b.done() {
                    let (_, seek) = b.element().map_err(err)?;
                    let mut k = Reader {
                        bytes: seek,
                        pos: 0,
                    };
                    let (mut target, mut pos) = (0, 0);
                    while !k.done() {
                        let (id, v) = k.element().map_err(err)?;
                        match id {
                            SEEK_ID => target = be(v) as u32,
                            SEEK_POSITION => pos = be(v),
                            _ => {}
                        }
                    }
                    seeks.push((target, pos));
                }
            }
            INFO => {
                while !b.done() {
                    let (id, v) = b.element().map_err(err)?;
                    match id {
                        TIMECODE_SCALE => info.timecode_scale_ns = be(v),
                        DURATION if v.len() == 8 => {
                            info.duration = f64::from_be_bytes(v.try_into().expect("8 bytes"))
                        }
                        _ => {}
                    }
                }
            }
            TRACKS => {
                let (_, entry) = b.element().map_err(err)?;
                let mut e = Reader {
                    bytes: entry,
                    pos: 0,
                };
                while !e.done() {
                    let (id, v) = e.element().map_err(err)?;
                    match id {
                        CODEC_ID => info.codec_id = String::from_utf8_lossy(v).into_owned(),
                        DEFAULT_DURATION => info.default_duration_ns = be(v),
                        VIDEO => {
                            let mut vr = Reader { bytes: v, pos: 0 };
                            while !vr.done() {
                                let (id, x) = vr.element().map_err(err)?;
                                match id {
                                    PIXEL_WIDTH => info.width = be(x) as u32,
                                    PIXEL_HEIGHT => info.height = be(x) as u32,
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            CLUSTER => {
                info.cluster_positions.push(start as u64);
                let mut base = 0i64;
                while !b.done() {
                    let (id, v) = b.element().map_err(err)?;
                    match id {
                        TIMECODE => base = be(v) as i64,
                        SIMPLE_BLOCK => {
                            if v.len() < 4 || v[0] != 0x80 | TRACK as u8 {
                                return Err(err("a SimpleBlock of another track".into()));
                            }
                            info.frames.push(WebmFrame {
                                time: base + i64::from(i16::from_be_bytes([v[1], v[2]])),
                                key: v[3] & 0x80 != 0,
                                data: v[4..].to_vec(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            CUES => {
                while !b.done() {
                    let (_, point) = b.element().map_err(err)?;
                    let mut p = Reader {
                        bytes: point,
                        pos: 0,
                    };
                    let (mut time, mut pos) = (0, 0);
                    while !p.done() {
                        let (id, v) = p.element().map_err(err)?;
                        match id {
                            CUE_TIME => time = be(v),
                            CUE_TRACK_POSITIONS => {
                                let mut t = Reader { bytes: v, pos: 0 };
                                while !t.done() {
                                    let (id, x) = t.element().map_err(err)?;
                                    if id == CUE_CLUSTER_POSITION {
                                        pos = be(x);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    info.cues.push((time, pos));
                }
            }
            _ => {}
        }
    }
    for (target, pos) in seeks {
        if at.get(&target) != Some(&pos) {
            return Err(err(format!(
                "the SeekHead puts {target:#x} at {pos}, it is at {:?}",
                at.get(&target)
            )));
        }
    }
    Ok(info)
}

/// A big-endian unsigned integer of up to 8 bytes.
fn be(v: &[u8]) -> u64 {
    v.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// A variable-length integer: (value with the marker removed, value with it kept, length).
    fn vint(&mut self) -> Result<(u64, u64, usize), String> {
        let first = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| format!("truncated at {}", self.pos))?;
        let len = first.leading_zeros() as usize + 1;
        if len > 8 || self.pos + len > self.bytes.len() {
            return Err(format!("bad variable-length integer at {}", self.pos));
        }
        let raw = be(&self.bytes[self.pos..self.pos + len]);
        self.pos += len;
        Ok((raw & ((1u64 << (7 * len)) - 1), raw, len))
    }

    fn element(&mut self) -> Result<(u32, &'a [u8]), String> {
        let (_, id, _) = self.vint()?;
        let (len, _, _) = self.vint()?;
        let end = self
            .pos
            .checked_add(len as usize)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("element {id:#x} of {len} bytes overruns its parent"))?;
        let body = &self.bytes[self.pos..end];
        self.pos = end;
        Ok((id as u32, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_the_shortest_vints_and_avoid_the_unknown_marker() {
        let enc = |n| {
            let mut v = Vec::new();
            size(&mut v, n);
            v
        };
        assert_eq!(enc(0), [0x80]);
        assert_eq!(enc(126), [0xFE]);
        assert_eq!(enc(127), [0x40, 0x7F], "0xFF would mean unknown");
        assert_eq!(enc(300), [0x41, 0x2C]);
        assert_eq!(enc(1 << 20), [0x30, 0x00, 0x00]);
        assert_eq!(enc(1 << 21), [0x10, 0x20, 0x00, 0x00]);
    }

    #[test]
    fn the_file_reads_back_with_its_frames_durations_clusters_and_cues() {
        let mut w = WebmWriter::new(64, 48, 30);
        let frames: Vec<(Vec<u8>, bool)> = (0..95u8)
            .map(|k| (vec![k; usize::from(k) * 7 + 1], k % 40 == 0))
            .collect();
        for (data, key) in &frames {
            w.push(data, *key);
        }
        let file = w.finish();
        let info = read_webm(&file).unwrap();
        assert_eq!(info.doc_type, "webm");
        assert_eq!(info.timecode_scale_ns, 1_000_000);
        assert!(
            (info.duration - 95.0 * 1000.0 / 30.0).abs() < 1e-9,
            "{}",
            info.duration
        );
        assert_eq!(info.codec_id, "V_VP8");
        assert_eq!((info.width, info.height), (64, 48));
        assert_eq!(info.default_duration_ns, 33_333_333);
        assert_eq!(info.frames.len(), 95);
        for (k, (f, (data, key))) in info.frames.iter().zip(&frames).enumerate() {
            assert_eq!(f.time, (k as i64 * 1000 + 15) / 30, "time of frame {k}");
            assert_eq!((&f.data, f.key), (data, *key), "frame {k}");
        }
        // Keyframes 0, 40 and 80 start the clusters, and every cluster has a cue.
        assert_eq!(info.cluster_positions.len(), 3);
        let cue_times: Vec<u64> = info.cues.iter().map(|c| c.0).collect();
        assert_eq!(cue_times, [0, 1333, 2667]);
        let cue_positions: Vec<u64> = info.cues.iter().map(|c| c.1).collect();
        assert_eq!(cue_positions, info.cluster_positions);
    }

    #[test]
    fn a_long_stretch_without_keyframes_is_split_into_clusters_the_int16_offsets_reach() {
        let mut w = WebmWriter::new(16, 16, 1);
        for k in 0..70 {
            w.push(&[1, 2, 3], k == 0);
        }
        let info = read_webm(&w.finish()).unwrap();
        assert_eq!(info.frames.len(), 70);
        assert_eq!(info.frames[69].time, 69_000);
        assert_eq!(info.cluster_positions.len(), 3, "0 s, 31 s and 62 s");
    }

    #[test]
    fn truncated_or_foreign_files_are_refused() {
        let mut w = WebmWriter::new(16, 16, 10);
        w.push(&[9; 100], true);
        let file = w.finish();
        assert!(read_webm(&file[..file.len() - 3]).is_err());
        assert!(read_webm(b"\x89PNG\r\n\x1a\n").is_err());
    }
}
