//! The contract of [`AttachmentRepository`](crate::AttachmentRepository):
//! exact round trips, owners' scopes, the limit (also when uploads race),
//! and a deletion queue that every way a row can go fills.

use super::{Repos, project_named, user};
use crate::Added;
use std::time::Duration;
use trellis_domain::{
    Attachment, AttachmentId, BlobKey, FileName, MediaType, ProjectId, Sha256Digest, Timestamp,
    UserId,
};

/// More than 4 GiB, so that no adapter keeps sizes in 32 bits.
const LARGE: u64 = 5 * 1024 * 1024 * 1024 + 7;

/// PostgreSQL's precision, so an instant read back compares equal.
fn now() -> Timestamp {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap()
}

/// An attachment of `project` stored at `created_at`, its digest made of
/// `seed`.
fn attachment(project: ProjectId, name: &str, created_at: Timestamp, seed: u8) -> Attachment {
    let mut digest = [0; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = seed.wrapping_add(u8::try_from(i).unwrap().wrapping_mul(37));
    }
    Attachment {
        id: AttachmentId::generate(),
        project_id: project,
        filename: FileName::sanitize(name),
        content_type: MediaType::parse("application/pdf").unwrap(),
        size: 1024 + u64::from(seed),
        sha256: Sha256Digest::from_bytes(digest),
        created_at,
    }
}

/// A new project of `owner`'s.
async fn project(repos: &Repos, owner: UserId, name: &str) -> ProjectId {
    repos
        .projects
        .create(owner, project_named(name))
        .await
        .unwrap()
        .id
}

/// Records `attachment` under a generous limit, which must succeed.
async fn added(repos: &Repos, owner: UserId, attachment: &Attachment) -> Attachment {
    match repos.attachments.add(owner, attachment, 100).await.unwrap() {
        Added::Done(stored) => stored,
        other => panic!("expected the attachment to be added, got {other:?}"),
    }
}

/// The whole deletion queue, in its order.
async fn queue(repos: &Repos) -> Vec<BlobKey> {
    repos.attachments.pending_deletions(1_000).await.unwrap()
}

fn sorted(mut keys: Vec<BlobKey>) -> Vec<BlobKey> {
    keys.sort();
    keys
}

/// Every field survives storage exactly (digest bytes, a size past 4 GiB,
/// a name in any script); the project's attachments are listed newest
/// first, ties by id (descending).
pub async fn attachments_round_trip_and_list_newest_first(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let at = now();
    let mut big = attachment(
        apollo,
        "Résumé — 履歴書 ☕.pdf",
        at - Duration::from_secs(60),
        1,
    );
    big.size = LARGE;
    big.content_type = MediaType::parse("text/csv").unwrap();
    big.sha256 = Sha256Digest::from_bytes(std::array::from_fn(|i| 255 - i as u8));
    let stored = added(&repos, ada.id, &big).await;
    assert_eq!(stored, big, "add answers the attachment as recorded");
    assert_eq!(stored.size, LARGE);
    assert_eq!(stored.filename.as_str(), "Résumé — 履歴書 ☕.pdf");
    let found = repos
        .attachments
        .find(ada.id, apollo, big.id)
        .await
        .unwrap();
    assert_eq!(found, Some(big.clone()));

    let mut twins = [
        attachment(apollo, "a.pdf", at, 2),
        attachment(apollo, "b.pdf", at, 3),
    ];
    for twin in &twins {
        added(&repos, ada.id, twin).await;
    }
    twins.sort_by_key(|twin| std::cmp::Reverse(twin.id));
    let listed = repos.attachments.list(ada.id, apollo).await.unwrap();
    assert_eq!(
        listed,
        Some(vec![twins[0].clone(), twins[1].clone(), big.clone()]),
        "newest first, ties by id"
    );
    assert_eq!(
        repos.attachments.count(ada.id, apollo).await.unwrap(),
        Some(3)
    );

    let empty = project(&repos, ada.id, "Empty").await;
    assert_eq!(
        repos.attachments.list(ada.id, empty).await.unwrap(),
        Some(vec![])
    );
    assert_eq!(
        repos.attachments.count(ada.id, empty).await.unwrap(),
        Some(0)
    );
    assert_eq!(
        repos.attachments.find(ada.id, empty, big.id).await.unwrap(),
        None,
        "an attachment is found only under its own project"
    );
}

/// Another owner's project is a missing one, to every method; so is a
/// project that does not exist.
pub async fn attachments_are_invisible_to_other_owners(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let eve = user(&repos, "eve@example.com").await;
    let secret = project(&repos, ada.id, "Secret").await;
    let kept = added(&repos, ada.id, &attachment(secret, "plan.pdf", now(), 1)).await;
    let nowhere = ProjectId::generate();
    for (owner, project) in [(eve.id, secret), (ada.id, nowhere)] {
        let repo = &repos.attachments;
        assert_eq!(repo.count(owner, project).await.unwrap(), None);
        assert_eq!(repo.list(owner, project).await.unwrap(), None);
        assert_eq!(repo.find(owner, project, kept.id).await.unwrap(), None);
        assert!(!repo.remove(owner, project, kept.id).await.unwrap());
        let intruder = attachment(project, "intruder.pdf", now(), 2);
        assert_eq!(
            repo.add(owner, &intruder, 100).await.unwrap(),
            Added::ProjectMissing
        );
    }
    assert_eq!(
        repos.attachments.list(ada.id, secret).await.unwrap(),
        Some(vec![kept]),
        "nothing the others tried changed anything"
    );
    assert!(queue(&repos).await.is_empty());
}

/// At the limit the next add is refused and records nothing; a removal
/// makes room again.
pub async fn adds_stop_at_the_limit(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let mut kept = Vec::new();
    for seed in 0..3 {
        let next = attachment(apollo, "part.pdf", now(), seed);
        assert_eq!(
            repos.attachments.add(ada.id, &next, 3).await.unwrap(),
            Added::Done(next.clone())
        );
        kept.push(next);
    }
    let fourth = attachment(apollo, "fourth.pdf", now(), 9);
    assert_eq!(
        repos.attachments.add(ada.id, &fourth, 3).await.unwrap(),
        Added::Full
    );
    assert_eq!(
        repos.attachments.count(ada.id, apollo).await.unwrap(),
        Some(3)
    );
    assert_eq!(
        repos
            .attachments
            .find(ada.id, apollo, fourth.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        repos
            .attachments
            .remove(ada.id, apollo, kept[0].id)
            .await
            .unwrap()
    );
    assert!(matches!(
        repos.attachments.add(ada.id, &fourth, 3).await.unwrap(),
        Added::Done(_)
    ));
    assert_eq!(
        repos.attachments.count(ada.id, apollo).await.unwrap(),
        Some(3)
    );
}

/// Of many uploads racing into one project, exactly as many as the limit
/// allows are recorded.
pub async fn racing_adds_never_pass_the_limit(repos: Repos) {
    const LIMIT: u32 = 5;
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let racers: Vec<_> = (0..16)
        .map(|seed| {
            let repo = repos.attachments.clone();
            let next = attachment(apollo, "race.pdf", now(), seed);
            tokio::spawn(async move { repo.add(ada.id, &next, LIMIT).await.unwrap() })
        })
        .collect();
    let (mut done, mut full) = (0, 0);
    for racer in racers {
        match racer.await.unwrap() {
            Added::Done(_) => done += 1,
            Added::Full => full += 1,
            Added::ProjectMissing => panic!("the project is there"),
        }
    }
    assert_eq!((done, full), (LIMIT, 16 - LIMIT));
    assert_eq!(
        repos.attachments.count(ada.id, apollo).await.unwrap(),
        Some(LIMIT)
    );
    assert_eq!(
        repos
            .attachments
            .list(ada.id, apollo)
            .await
            .unwrap()
            .map(|l| l.len()),
        Some(LIMIT as usize)
    );
}

/// A removed attachment's blob is queued until its deletion is done; a
/// second removal finds nothing.
pub async fn removing_an_attachment_queues_its_blob(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let doomed = added(&repos, ada.id, &attachment(apollo, "old.pdf", now(), 1)).await;
    let kept = added(&repos, ada.id, &attachment(apollo, "new.pdf", now(), 2)).await;
    assert!(queue(&repos).await.is_empty());
    assert!(
        repos
            .attachments
            .remove(ada.id, apollo, doomed.id)
            .await
            .unwrap()
    );
    assert!(
        !repos
            .attachments
            .remove(ada.id, apollo, doomed.id)
            .await
            .unwrap()
    );
    assert_eq!(
        repos
            .attachments
            .find(ada.id, apollo, doomed.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        repos.attachments.list(ada.id, apollo).await.unwrap(),
        Some(vec![kept])
    );
    assert_eq!(queue(&repos).await, [doomed.blob_key()]);
    repos
        .attachments
        .deletions_done(&[doomed.blob_key()])
        .await
        .unwrap();
    assert!(queue(&repos).await.is_empty());
    repos
        .attachments
        .deletions_done(&[doomed.blob_key()])
        .await
        .unwrap();
}

/// Deleting a project queues the blobs of all its attachments, and only
/// those.
pub async fn deleting_a_project_queues_its_attachments(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let doomed = project(&repos, ada.id, "Doomed").await;
    let kept = project(&repos, ada.id, "Kept").await;
    let mut gone = Vec::new();
    for seed in 0..3 {
        gone.push(added(&repos, ada.id, &attachment(doomed, "x.pdf", now(), seed)).await);
    }
    let stays = added(&repos, ada.id, &attachment(kept, "y.pdf", now(), 7)).await;
    assert!(matches!(
        repos.projects.delete(ada.id, doomed, None).await.unwrap(),
        crate::Written::Done(())
    ));
    assert_eq!(
        sorted(queue(&repos).await),
        sorted(gone.iter().map(Attachment::blob_key).collect())
    );
    assert_eq!(repos.attachments.list(ada.id, doomed).await.unwrap(), None);
    assert_eq!(
        repos.attachments.list(ada.id, kept).await.unwrap(),
        Some(vec![stays])
    );
}

/// Deleting an account queues the blobs of every attachment of every one
/// of its projects, and no one else's.
pub async fn deleting_a_user_queues_their_attachments(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let eve = user(&repos, "eve@example.com").await;
    let mut gone = Vec::new();
    for name in ["One", "Two"] {
        let doomed = project(&repos, ada.id, name).await;
        for seed in 0..2 {
            gone.push(added(&repos, ada.id, &attachment(doomed, "x.pdf", now(), seed)).await);
        }
    }
    let theirs = project(&repos, eve.id, "Theirs").await;
    let stays = added(&repos, eve.id, &attachment(theirs, "y.pdf", now(), 7)).await;
    assert!(repos.users.delete(ada.id).await.unwrap());
    assert_eq!(
        sorted(queue(&repos).await),
        sorted(gone.iter().map(Attachment::blob_key).collect())
    );
    assert_eq!(
        repos.attachments.list(eve.id, theirs).await.unwrap(),
        Some(vec![stays.clone()])
    );
    assert_eq!(
        repos
            .attachments
            .existing(&[stays.blob_key()])
            .await
            .unwrap(),
        [stays.blob_key()]
    );
}

/// Of the keys asked about, exactly those an attachment still names.
pub async fn existing_names_only_keys_with_rows(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let first = added(&repos, ada.id, &attachment(apollo, "a.pdf", now(), 1)).await;
    let second = added(&repos, ada.id, &attachment(apollo, "b.pdf", now(), 2)).await;
    let removed = added(&repos, ada.id, &attachment(apollo, "c.pdf", now(), 3)).await;
    assert!(
        repos
            .attachments
            .remove(ada.id, apollo, removed.id)
            .await
            .unwrap()
    );
    let stranger = BlobKey::new(ProjectId::generate(), AttachmentId::generate());
    let misplaced = BlobKey::new(ProjectId::generate(), first.id);
    let asked = [
        stranger,
        second.blob_key(),
        removed.blob_key(),
        misplaced,
        first.blob_key(),
    ];
    assert_eq!(
        sorted(repos.attachments.existing(&asked).await.unwrap()),
        sorted(vec![first.blob_key(), second.blob_key()])
    );
    assert!(repos.attachments.existing(&[]).await.unwrap().is_empty());
}

/// The queue answers at most `limit` keys, those queued first first
/// (whatever the attachments' own ages), and keeps the rest.
pub async fn pending_deletions_are_oldest_first_within_the_limit(repos: Repos) {
    let ada = user(&repos, "ada@example.com").await;
    let apollo = project(&repos, ada.id, "Apollo").await;
    let at = now();
    let [a, b, c] =
        [3, 2, 1].map(|age| attachment(apollo, "q.pdf", at - Duration::from_secs(age), 0));
    for next in [&a, &b, &c] {
        added(&repos, ada.id, next).await;
    }
    for gone in [&b, &c, &a] {
        assert!(
            repos
                .attachments
                .remove(ada.id, apollo, gone.id)
                .await
                .unwrap()
        );
    }
    let order = [b.blob_key(), c.blob_key(), a.blob_key()];
    assert_eq!(queue(&repos).await, order);
    assert_eq!(
        repos.attachments.pending_deletions(2).await.unwrap(),
        order[..2]
    );
    assert!(
        repos
            .attachments
            .pending_deletions(0)
            .await
            .unwrap()
            .is_empty()
    );
    repos.attachments.deletions_done(&order[..1]).await.unwrap();
    assert_eq!(
        repos.attachments.pending_deletions(2).await.unwrap(),
        order[1..]
    );
}
