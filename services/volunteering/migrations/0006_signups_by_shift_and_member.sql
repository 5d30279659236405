-- A member's sign-ups for one shift, ended ones included: SignUp asks whether a coordinator
-- declined the member's last one (a decline is final for that shift), and ApproveSignup /
-- DeclineSignup answer from the latest one. Without this index those reads scan every sign-up.
CREATE INDEX signups_by_shift_and_member ON signups (shift_id, member_id, signup_id);
