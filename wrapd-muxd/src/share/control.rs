//! A collaborator asks the owner for control (edit): the same for every door.
//! The owner sees it in the share's participants (`control_requested`) and
//! answers by granting edit or not.

use tonic::Status;

use super::Role;
use super::authz::Collab;
use super::state::Shares;

/// Record that `c` asks for control. Asking again changes nothing anyone
/// sees: it is counted in the audit log, not announced again.
pub fn request_control(shares: &Shares, c: &Collab) -> Result<(), Status> {
    {
        let mut st = shares.lock();
        let share = st
            .share_mut(&c.share_id)
            .ok_or_else(|| Status::permission_denied("the owner stopped sharing this session"))?;
        let p = share
            .participant_mut(&c.participant_id)
            .ok_or_else(|| Status::permission_denied("you are not a participant of this share"))?;
        if p.role == Role::Editor {
            return Err(Status::failed_precondition("you already have control"));
        }
        let again = std::mem::replace(&mut p.control_requested, true);
        share.audit_repeat(&c.participant_id, "control-requested", String::new());
        if again {
            return Ok(());
        }
    }
    shares.bump();
    Ok(())
}
