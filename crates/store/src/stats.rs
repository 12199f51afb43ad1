//! Counts for `puente stats`.

use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, read_pool};

/// Whole-exchange counts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub children: i64,
    pub state_records: i64,
    pub enrollments: i64,
    pub courses: i64,
    pub assessments: i64,
    pub qualifying_moves: i64,
    /// Children with at least one live record from each state.
    pub children_by_state: std::collections::BTreeMap<String, i64>,
    /// Children with records from two or more states.
    pub interstate_movers: i64,
    /// Children flagged as a multiple birth who share birth date and parents with another child.
    pub twins: i64,
    /// Children who share both parents with another child of a different birth date.
    pub siblings: i64,
}

const COUNTS: &str = "SELECT \
 (SELECT COUNT(*) FROM children WHERE status = 'active'), \
 (SELECT COUNT(*) FROM state_records WHERE deleted = FALSE), \
 (SELECT COUNT(*) FROM enrollments), (SELECT COUNT(*) FROM courses), (SELECT COUNT(*) FROM assessments), \
 (SELECT COUNT(*) FROM qualifying_moves), \
 (SELECT COUNT(*) FROM (SELECT child_id FROM state_records WHERE deleted = FALSE GROUP BY child_id HAVING COUNT(DISTINCT reporting_state) > 1) m)";

impl Store {
    pub async fn stats(&self) -> Result<Stats> {
        read_pool!(self, p => {
            let r = sqlx::query(COUNTS).fetch_one(p).await?;
            let mut s = Stats {
                children: r.try_get(0)?,
                state_records: r.try_get(1)?,
                enrollments: r.try_get(2)?,
                courses: r.try_get(3)?,
                assessments: r.try_get(4)?,
                qualifying_moves: r.try_get(5)?,
                interstate_movers: r.try_get(6)?,
                ..Stats::default()
            };
            for row in sqlx::query("SELECT reporting_state, COUNT(DISTINCT child_id) FROM state_records WHERE deleted = FALSE GROUP BY reporting_state ORDER BY reporting_state")
                .fetch_all(p).await?
            {
                s.children_by_state.insert(row.try_get(0)?, row.try_get(1)?);
            }
            s.twins = sqlx::query(TWINS).fetch_one(p).await?.try_get(0)?;
            s.siblings = sqlx::query(SIBLINGS).fetch_one(p).await?.try_get(0)?;
            Ok(s)
        })
    }
}

/// Children flagged multiple-birth whose (birth date, family) group holds 2+ children. A family is
/// identified by both parents' folded names.
const TWINS: &str = "SELECT COUNT(DISTINCT r.child_id) FROM state_records r JOIN ( \
       SELECT birth_date, parent1_first_name_norm, parent1_last_name_norm, parent2_first_name_norm, parent2_last_name_norm \
       FROM state_records WHERE deleted = FALSE AND multiple_birth = TRUE AND parent1_last_name_norm IS NOT NULL \
       GROUP BY birth_date, parent1_first_name_norm, parent1_last_name_norm, parent2_first_name_norm, parent2_last_name_norm \
       HAVING COUNT(DISTINCT child_id) > 1) g \
     ON r.birth_date = g.birth_date AND r.parent1_first_name_norm = g.parent1_first_name_norm AND r.parent1_last_name_norm = g.parent1_last_name_norm \
       AND r.parent2_first_name_norm = g.parent2_first_name_norm AND r.parent2_last_name_norm = g.parent2_last_name_norm \
     WHERE r.deleted = FALSE AND r.multiple_birth = TRUE";

/// Children who share a family with a child of another birth date.
const SIBLINGS: &str = "SELECT COUNT(DISTINCT r.child_id) FROM state_records r JOIN ( \
       SELECT parent1_first_name_norm, parent1_last_name_norm, parent2_first_name_norm, parent2_last_name_norm \
       FROM state_records WHERE deleted = FALSE AND parent1_last_name_norm IS NOT NULL AND parent2_last_name_norm IS NOT NULL \
       GROUP BY parent1_first_name_norm, parent1_last_name_norm, parent2_first_name_norm, parent2_last_name_norm \
       HAVING COUNT(DISTINCT birth_date) > 1 AND COUNT(DISTINCT child_id) > 1) g \
     ON r.parent1_first_name_norm = g.parent1_first_name_norm AND r.parent1_last_name_norm = g.parent1_last_name_norm \
       AND r.parent2_first_name_norm = g.parent2_first_name_norm AND r.parent2_last_name_norm = g.parent2_last_name_norm \
     WHERE r.deleted = FALSE";
