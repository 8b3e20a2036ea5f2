//! Every store passes the blob store contract, and keeps to what is its
//! own beyond it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod memory {
    use std::sync::Arc;
    use trellis_blobs::MemoryBlobs;
    use trellis_ports::testkit::Blobs;

    trellis_ports::blob_contract!(async {
        Blobs {
            store: Arc::new(MemoryBlobs::new()),
            keep_alive: None,
        }
    });
}

mod file;
mod s3;
