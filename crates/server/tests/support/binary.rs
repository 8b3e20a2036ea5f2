//! The real `trellis` binary as an operator runs it, as a child process.

use super::free_port;
use awc::http::StatusCode;
use serde_json::Value;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The binary under test: `TRELLIS_BINARY` (say, a release build; a
/// relative path is read from the workspace root, where the command was
/// typed, not from this package's directory where cargo runs tests), else
/// the one cargo built for these tests.
pub fn program() -> PathBuf {
    match std::env::var("TRELLIS_BINARY") {
        Ok(path) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_trellis")),
    }
}

/// A `trellis` process with exactly these variables (nothing inherited but
/// PATH), on a free loopback port; killed on drop.
pub struct Trellis {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Everything the process printed (its log lines), kept for assertions,
    /// and left on disk when a test fails.
    pub log: PathBuf,
}

impl Trellis {
    /// Starts the binary ([`program`]) with two workers, warnings-only JSON
    /// logs, and `vars`.
    pub fn spawn(vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("trellis-test-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(program());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("WORKERS", "2")
            .env("RUST_LOG", "warn")
            .env("LOG_FORMAT", "json")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file));
        for (name, value) in vars {
            command.env(name, value);
        }
        Self {
            child: command.spawn().expect("trellis starts"),
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls GET `path` until it answers, for at most `within`.
    pub async fn wait_for(&self, path: &str, within: Duration) -> (StatusCode, Value) {
        let started = Instant::now();
        loop {
            if let Some(answer) = get(&format!("{}{path}", self.base)).await {
                return answer;
            }
            assert!(
                started.elapsed() < within,
                "no answer on {path} within {within:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Kills the process with SIGKILL (no drain, no cleanup) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit, for at most `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "trellis did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Trellis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

async fn get(url: &str) -> Option<(StatusCode, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut response = client.get(url).send().await.ok()?;
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Some((response.status(), body))
}
