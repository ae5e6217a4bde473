//! What the host does when a script fails mid-call, configured per tenant.

use serde::{Deserialize, Serialize};

/// The tenant's fallback. The script is never called again after a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fallback {
    /// Say `text` (not interruptible) and hang up.
    Apologize { text: String, voice: String },
    /// Hand the customer to a human.
    Transfer { target: String },
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback::Apologize {
            text: "非常抱歉，系统出现问题，我们稍后再联系您。Sorry, something went wrong; we will call you back."
                .into(),
            voice: String::new(),
        }
    }
}
