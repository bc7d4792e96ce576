//! Generates the gRPC code and the file descriptor set (for reflection) from `proto/` with protox,
//! so no `protoc` is needed.

use std::path::PathBuf;

use prost::Message;

const PROTO_ROOT: &str = "../../proto";
const FILES: [&str; 3] = [
    "infidraw/render/v1/render_service.proto",
    "infidraw/stroke/v1/stroke.proto",
    "infidraw/tile/v1/tile.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for f in FILES {
        println!("cargo:rerun-if-changed={PROTO_ROOT}/{f}");
    }
    let fds = protox::compile(FILES, [PROTO_ROOT])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("infidraw_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .bytes(".infidraw.render.v1")
        .compile_fds(fds)?;
    Ok(())
}
