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
