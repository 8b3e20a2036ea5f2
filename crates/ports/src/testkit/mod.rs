//! The contract suites: the behaviour every [`UserRepository`] and
//! [`ProjectRepository`] implementation must show, run with
//! [`repository_contract!`](crate::repository_contract) (one `#[tokio::test]`
//! per case over a fresh pair of repositories), and every
//! [`CounterStore`](crate::CounterStore), run with
//! [`counter_contract!`](crate::counter_contract).

// Test support: a failed expectation should panic with the value in view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attachments;
mod blobs;
mod counters;
mod events;
mod idempotency;
mod listing;
mod paging;
mod projects;
mod sessions;
mod users;
mod versions;

pub use attachments::*;
pub use blobs::*;
pub use counters::*;
pub use events::*;
pub use idempotency::*;
pub use listing::*;
pub use paging::*;
pub use projects::*;
pub use sessions::*;
pub use users::*;
pub use versions::*;

use crate::{
    AttachmentRepository, IdempotencyKeys, ProjectRepository, SessionRepository, UserRepository,
};
use std::sync::Arc;
use trellis_domain::{
    Deadline, Email, FullName, NewProject, NewUser, PasswordHash, ProjectFilter, ProjectName,
    ProjectStatus, StatusSet, User,
};

/// A fresh, empty pair of repositories over one store, for one test case.
#[derive(Clone)]
pub struct Repos {
    /// The accounts.
    pub users: Arc<dyn UserRepository>,
    /// Their projects (same store: deleting a user deletes these).
    pub projects: Arc<dyn ProjectRepository>,
    /// Their sessions (same store).
    pub sessions: Arc<dyn SessionRepository>,
    /// The idempotency keys of their creates (same store).
    pub keys: Arc<dyn IdempotencyKeys>,
    /// What is known of their projects' attachments (same store: deleting
    /// a project or a user queues its attachments' blobs).
    pub attachments: Arc<dyn AttachmentRepository>,
    /// Whatever must live as long as the case (a test database, say).
    pub keep_alive: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Repos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Repos")
    }
}

/// Runs every contract case against repositories made by `$make` (an async
/// expression evaluating to [`Repos`], evaluated once per case).
///
/// ```ignore
/// trellis_ports::repository_contract!(async { my_repos().await });
/// ```
#[macro_export]
macro_rules! repository_contract {
    ($make:expr) => {
        $crate::repository_contract!(@cases $make;
            user_round_trip,
            email_is_unique_in_any_case,
            concurrent_registrations_of_one_email_leave_one_account,
            profile_patch_changes_only_present_fields,
            profile_patch_to_a_taken_email_is_refused,
            set_role_and_missing_users,
            password_hash_is_replaced,
            users_are_paged_newest_first_with_totals,
            project_round_trip_is_exact,
            project_of_missing_owner_is_a_missing_reference,
            projects_are_invisible_to_other_owners,
            patch_sets_and_clears_only_touched_fields,
            concurrent_patches_keep_each_others_fields,
            projects_are_paged_newest_first_with_filter_and_totals,
            page_past_the_end_is_empty_but_counts,
            deleting_a_user_deletes_their_projects,
            every_sort_orders_with_ties_and_nulls_last,
            keyset_pages_continue_exactly_where_the_last_stopped,
            search_and_statuses_filter_pages_and_keyset_pages,
            conditional_writes_check_the_version_with_the_write,
            racing_conditional_writes_leave_exactly_one_winner,
            sessions_are_listed_newest_first,
            tokens_rotate_replay_and_betray_a_thief,
            racing_rotations_leave_one_successor,
            sessions_end_one_or_all_and_only_the_owners,
            expired_sessions_are_swept_and_go_with_their_owner,
            claimed_keys_run_once_then_answer_as_created,
            keys_are_released_abandoned_expired_and_swept,
            racing_claims_leave_one_holder_and_keys_go_with_their_owner,
            attachments_round_trip_and_list_newest_first,
            attachments_are_invisible_to_other_owners,
            adds_stop_at_the_limit,
            racing_adds_never_pass_the_limit,
            removing_an_attachment_queues_its_blob,
            deleting_a_project_queues_its_attachments,
            deleting_a_user_queues_their_attachments,
            existing_names_only_keys_with_rows,
            pending_deletions_are_oldest_first_within_the_limit,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let repos: $crate::testkit::Repos = $make.await;
                $crate::testkit::$case(repos).await;
            }
        )+
    };
}

pub(crate) fn email(raw: &str) -> Email {
    Email::parse(raw).expect("test email")
}

pub(crate) fn new_user(address: &str) -> NewUser {
    NewUser::register(
        email(address),
        FullName::parse("Ada Lovelace").expect("name"),
        PasswordHash::new("$2b$04$abcdefghijklmnopqrstuuSomeFakeHashForContractTests12".into()),
    )
}

pub(crate) async fn user(repos: &Repos, address: &str) -> User {
    repos
        .users
        .create(new_user(address))
        .await
        .expect("create user")
}

pub(crate) fn project_named(name: &str) -> NewProject {
    NewProject::named(ProjectName::parse(name).expect("name"))
}

pub(crate) fn deadline(days: i64) -> Deadline {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    Deadline::new(date)
}

/// No filter: every status, no search.
pub(crate) fn everything() -> ProjectFilter {
    ProjectFilter::default()
}

/// Only projects with `status`.
pub(crate) fn only(status: ProjectStatus) -> ProjectFilter {
    ProjectFilter {
        statuses: StatusSet::only(status),
        search: None,
    }
}
