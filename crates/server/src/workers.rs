//! Background workers: started with the server, stopped after it has
//! drained. Each keeps its state in tables, so a crash loses nothing it
//! cannot redo.

use std::{future::Future, time::Duration};
use tokio::{sync::watch, task::JoinHandle};
use trellis_ports::{
    EventLog, IdempotencyKeys, KEY_RETENTION, SessionRepository, TicketRepository,
};

/// The running workers.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
        }
    }
}

impl Workers {
    /// Runs `work`, handing it a future that completes when the workers are
    /// told to stop.
    pub fn spawn<F, Fut>(&mut self, work: F)
    where
        F: FnOnce(Stopping) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut stopped = self.stop.subscribe();
        let stopping = Stopping(Box::pin(async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        }));
        self.tasks.push(tokio::spawn(work(stopping)));
    }

    /// Tells every worker to stop and waits for them.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Completes when the workers are told to stop.
pub struct Stopping(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for Stopping {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// How often expired sessions and idempotency keys are deleted.
const HOURLY_SWEEP: Duration = Duration::from_secs(3600);

/// Deletes expired sessions, and idempotency keys past their retention,
/// every hour until `stopping`.
pub async fn sweep_expired(
    sessions: std::sync::Arc<dyn SessionRepository>,
    keys: std::sync::Arc<dyn IdempotencyKeys>,
    stopping: Stopping,
) {
    let mut ticks = tokio::time::interval(HOURLY_SWEEP);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => return,
            _ = ticks.tick() => {
                let now = time::OffsetDateTime::now_utc();
                match sessions.sweep(now).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "expired sessions deleted"),
                    Err(error) => tracing::warn!(%error, "sweeping expired sessions failed"),
                }
                match keys.sweep_keys(now - KEY_RETENTION).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "idempotency keys past their retention deleted"),
                    Err(error) => tracing::warn!(%error, "sweeping idempotency keys failed"),
                }
            }
        }
    }
}

/// How often events past their retention, and expired tickets, are deleted.
const EVENT_SWEEP: Duration = Duration::from_secs(60);

/// Deletes events older than `retention`, and expired stream tickets, every
/// minute until `stopping`.
pub async fn sweep_events(
    events: std::sync::Arc<dyn EventLog>,
    tickets: std::sync::Arc<dyn TicketRepository>,
    retention: Duration,
    stopping: Stopping,
) {
    let mut ticks = tokio::time::interval(EVENT_SWEEP);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => return,
            _ = ticks.tick() => {
                let now = time::OffsetDateTime::now_utc();
                match events.sweep(now - retention).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!(swept, "events past their retention deleted"),
                    Err(error) => tracing::warn!(%error, "sweeping events failed"),
                }
                if let Err(error) = tickets.sweep_tickets(now).await {
                    tracing::warn!(%error, "sweeping stream tickets failed");
                }
            }
        }
    }
}

/// Removes the bytes of deleted attachments (and of deleted projects and
/// users) every `sweep_every`, and bytes no attachment names that are older
/// than `grace` every `reconcile_every`, until `stopping`.
pub async fn tend_attachments(
    janitor: trellis_services::AttachmentJanitor,
    sweep_every: Duration,
    reconcile_every: Duration,
    grace: Duration,
    stopping: Stopping,
) {
    let mut sweeps = tokio::time::interval(sweep_every);
    let mut reconciles = tokio::time::interval(reconcile_every);
    sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reconciles.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => return,
            _ = sweeps.tick() => match janitor.sweep().await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "bytes of deleted attachments removed"),
                Err(error) => tracing::warn!(%error, "removing the bytes of deleted attachments failed"),
            },
            _ = reconciles.tick() => {
                if let Err(error) = janitor.reconcile(grace).await {
                    tracing::warn!(%error, "reconciling attachment storage failed");
                }
            }
        }
    }
}
