//! [`FileBlobs`]: blobs as files in a directory of the local file system.

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use std::{
    io::{self, SeekFrom},
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};
use tokio::{
    fs,
    io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter},
};
use tokio_util::io::ReaderStream;
use trellis_domain::{BlobKey, Timestamp};
use trellis_ports::{BlobError, BlobStore, BoxError, ByteRange, ByteStream, StoredBlob};

/// Where bodies are written before they are whole, under the root.
const PARTIAL: &str = ".partial";
/// A partial file this old was left by a process that was killed.
const ABANDONED_AFTER: Duration = Duration::from_secs(60 * 60);
/// The buffer between a body and its file, and the chunk size of reads.
const BUFFER: usize = 64 * 1024;

/// Blobs as files `<root>/<project id>/<attachment id>`. A body is written
/// to `<root>/.partial/` first and renamed into place once it is whole and
/// synced, so a reader never sees part of one.
#[derive(Debug, Clone)]
pub struct FileBlobs {
    root: PathBuf,
}

impl FileBlobs {
    /// Blobs under `root`, which is created if missing. Partial files older
    /// than an hour (left by a process that was killed mid-upload) are
    /// removed.
    pub fn open(root: PathBuf) -> io::Result<Self> {
        let partial = root.join(PARTIAL);
        std::fs::create_dir_all(&partial)?;
        for entry in std::fs::read_dir(&partial)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let age = entry
                .metadata()?
                .modified()?
                .elapsed()
                .unwrap_or(Duration::ZERO);
            if age > ABANDONED_AFTER {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(Self { root })
    }

    fn project_dir(&self, key: BlobKey) -> PathBuf {
        self.root.join(key.project().to_string())
    }

    fn path(&self, key: BlobKey) -> PathBuf {
        self.project_dir(key).join(key.attachment().to_string())
    }

    /// Moves the synced file at `partial` to `key`'s path, durably.
    async fn commit(&self, partial: &Path, key: BlobKey) -> io::Result<()> {
        let dir = self.project_dir(key);
        // A concurrent delete may remove the project's directory once it is
        // empty, between our creating it and renaming into it: try again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match fs::create_dir(&dir).await {
                Ok(()) => sync_dir(&self.root).await?,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
            match fs::rename(partial, self.path(key)).await {
                Err(error) if error.kind() == io::ErrorKind::NotFound && attempts < 3 => {}
                done => break done?,
            }
        }
        sync_dir(&dir).await
    }
}

/// Removes the partial file when dropped, unless it was committed: on an
/// error, and also when the upload is cancelled.
struct Partial {
    path: PathBuf,
    committed: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed
            && let Err(error) = remove_if_present(&self.path)
        {
            tracing::warn!(path = %self.path.display(), %error, "cannot remove a partial blob");
        }
    }
}

#[async_trait]
impl BlobStore for FileBlobs {
    async fn put(&self, key: BlobKey, mut body: ByteStream) -> Result<u64, BlobError> {
        let mut partial = Partial {
            path: self
                .root
                .join(PARTIAL)
                .join(uuid::Uuid::new_v4().to_string()),
            committed: false,
        };
        let file = fs::File::create_new(&partial.path)
            .await
            .map_err(unavailable)?;
        let mut writer = BufWriter::with_capacity(BUFFER, file);
        let mut size = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BlobError::Body)?;
            writer.write_all(&chunk).await.map_err(unavailable)?;
            size += chunk.len() as u64;
        }
        writer.flush().await.map_err(unavailable)?;
        writer.get_ref().sync_all().await.map_err(unavailable)?;
        drop(writer);
        self.commit(&partial.path, key).await.map_err(unavailable)?;
        partial.committed = true;
        Ok(size)
    }

    async fn get(&self, key: BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let mut file = match fs::File::open(self.path(key)).await {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(BlobError::NotFound);
            }
            opened => opened.map_err(unavailable)?,
        };
        let stream = match range {
            None => ReaderStream::with_capacity(file, BUFFER).boxed(),
            Some(range) => {
                file.seek(SeekFrom::Start(range.start))
                    .await
                    .map_err(unavailable)?;
                ReaderStream::with_capacity(file.take(range.len()), BUFFER).boxed()
            }
        };
        Ok(stream.map_err(BoxError::from).boxed())
    }

    async fn delete(&self, key: BlobKey) -> Result<(), BlobError> {
        match fs::remove_file(self.path(key)).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(unavailable(error)),
            _ => {
                // Only when it is empty; another blob of the project may
                // still be there, or arrive now.
                let _ = fs::remove_dir(self.project_dir(key)).await;
                Ok(())
            }
        }
    }

    fn list(&self) -> BoxStream<'static, Result<StoredBlob, BlobError>> {
        let root = self.root.clone();
        futures_util::stream::once(tokio::task::spawn_blocking(move || walk(&root)))
            .map(|walked| match walked {
                Ok(Ok(found)) => futures_util::stream::iter(found.into_iter().map(Ok)).boxed(),
                Ok(Err(error)) => futures_util::stream::iter([Err(unavailable(error))]).boxed(),
                Err(join) => futures_util::stream::iter([Err(unavailable(join))]).boxed(),
            })
            .flatten()
            .boxed()
    }
}

/// Every `<root>/<project>/<attachment>` file whose name is a [`BlobKey`].
fn walk(root: &Path) -> io::Result<Vec<StoredBlob>> {
    let mut found = Vec::new();
    for project in std::fs::read_dir(root)? {
        let project = project?;
        let Some(project_name) = project.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if project_name == PARTIAL || !project.file_type()?.is_dir() {
            continue;
        }
        let entries = match std::fs::read_dir(project.path()) {
            // Deleted with its last blob since the root was read.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            entries => entries?,
        };
        for entry in entries {
            let entry = entry?;
            let Some(key) = entry
                .file_name()
                .to_str()
                .and_then(|name| format!("{project_name}/{name}").parse::<BlobKey>().ok())
            else {
                continue;
            };
            let metadata = match entry.metadata() {
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                metadata => metadata?,
            };
            if metadata.is_file() {
                let modified: SystemTime = metadata.modified()?;
                found.push(StoredBlob {
                    key,
                    modified: Timestamp::from(modified),
                });
            }
        }
    }
    Ok(found)
}

/// Makes the entries of `dir` (a rename or a new directory) durable.
async fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir).await?.sync_all().await
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        done => done,
    }
}

fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> BlobError {
    BlobError::Unavailable(Box::new(error))
}
