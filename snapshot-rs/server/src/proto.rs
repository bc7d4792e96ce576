//! Code generated from `proto/` by `build.rs`.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// `infidraw.stroke.v1`: strokes as they travel on the wire.
pub mod stroke {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("infidraw.stroke.v1");
    }
}

/// `infidraw.tile.v1`: tile coordinates (and tile-delta-go's service, unused here).
pub mod tile {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("infidraw.tile.v1");
    }
}

/// `infidraw.render.v1`: the service this server implements.
pub mod render {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("infidraw.render.v1");
    }
}

/// Encoded `FileDescriptorSet` of the infidraw protos, served by reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/infidraw_descriptor.bin"));

/// The one conversion from the wire to the renderer: every field but `id`, which rendering does not
/// need. The renderer validates the values ([`infidraw_render::decode_stroke`]).
impl From<stroke::v1::Stroke> for infidraw_render::Stroke {
    fn from(s: stroke::v1::Stroke) -> infidraw_render::Stroke {
        infidraw_render::Stroke {
            tool: s.tool,
            rgba: s.rgba,
            width: s.width,
            quantum: s.quantum,
            points: s.points,
            pressures: s.pressures,
        }
    }
}

/// The way back, for clients that build strokes with [`infidraw_render::encode_stroke`]: the wire
/// stroke without an `id`, which the caller sets when it needs one.
impl From<infidraw_render::Stroke> for stroke::v1::Stroke {
    fn from(s: infidraw_render::Stroke) -> stroke::v1::Stroke {
        stroke::v1::Stroke {
            id: Vec::new(),
            tool: s.tool,
            rgba: s.rgba,
            width: s.width,
            quantum: s.quantum,
            points: s.points,
            pressures: s.pressures,
        }
    }
}

#[cfg(test)]
mod tests {
    use infidraw_render::{Point, Tool, decode_stroke};

    use super::stroke::v1::Stroke;

    #[test]
    fn the_renderer_decodes_what_the_wire_says_and_back() {
        let wire = Stroke {
            id: vec![7; 16],
            tool: 2,
            rgba: 0x11223344,
            width: 500,
            quantum: 100,
            points: vec![1, 2, 3, -4],
            pressures: vec![10, 20],
        };
        let render = infidraw_render::Stroke::from(wire.clone());
        assert_eq!(
            Stroke::from(render.clone()),
            Stroke {
                id: Vec::new(),
                ..wire
            },
            "back to the wire, without the id"
        );
        let s = decode_stroke(&render).unwrap();
        assert_eq!(
            (s.tool(), s.rgba(), s.width()),
            (Tool::Highlighter, 0x11223344, 500)
        );
        assert_eq!(s.points(), [Point::new(100, 200), Point::new(400, -200)]);
        assert_eq!(s.pressures(), [10, 30]);
    }
}
