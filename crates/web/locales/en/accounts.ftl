## Accounts: sign-in, MFA, rules of behavior, administration.

sign-in = Sign in
sign-out = Sign out
signed-in-as = Signed in as { $name }

login-title = Sign in to Puente
login-lede = Puente holds children's records. Sign in with your work e-mail address and password.
login-email = E-mail address
login-password = Password
login-submit = Continue
login-failed = The e-mail address or password is not right, or the account cannot sign in now. Try again, or ask your user administrator.
login-help = Forgot your password or lost your authenticator? Ask your state's user administrator.

mfa-title = Enter your security code
mfa-lede = Open your authenticator app and enter the 6-digit code for Puente. If you lost your device, enter one of your recovery codes.
mfa-code = Security code
mfa-code-hint = 6 digits, or a recovery code such as 1a2b-3c4d-5e6f
mfa-submit = Sign in
mfa-failed = That code is not right. Check your device's time and try the newest code.

enroll-title = Set up your authenticator
enroll-lede = Every Puente account uses a second step at sign-in. Add Puente to an authenticator app on your phone.
enroll-step-scan = Scan this code with your authenticator app, or type the key shown below it.
enroll-qr-alt = QR code to add Puente to an authenticator app
enroll-secret = Key:
enroll-step-code = Enter the 6-digit code the app now shows.
enroll-submit = Confirm

recovery-title = Save your recovery codes
recovery-lede = Each code lets you sign in once without your authenticator. Keep them somewhere safe: they are shown only now.
recovery-continue = I saved my codes, continue

rules-title = Rules of behavior
rules-lede = Before using Puente, and again every year, confirm that you will follow these rules.
rules-1 = I look at a child's record only when I need it for my work with that child, and I give the reason when asked.
rules-2 = I do not share my account, password or security codes, and I sign out when I leave my computer.
rules-3 = I do not copy, print or send records except as my program allows, and I keep printed records locked away.
rules-4 = I report a lost device, a suspected disclosure or anything unusual to my user administrator at once.
rules-accept = I have read and accept the rules of behavior.
rules-training = I completed this year's security and privacy training.
rules-submit = Accept and continue

forbidden-title = You do not have access to this page
forbidden-body = Your role does not include this task. If you need it for your work, ask your user administrator.

admin-title = Administration
admin-lede = Manage the accounts of your state and review the audit log.
admin-users-heading = Accounts
admin-audit-link = Audit log
admin-col-email = E-mail address
admin-col-name = Name
admin-col-role = Role
admin-col-state = State
admin-col-status = Status
admin-col-last-login = Last sign-in
admin-col-actions = Actions
admin-never = Never
admin-national = National
admin-disable = Disable
admin-deactivate = Deactivate
admin-reactivate = Reactivate
admin-status-active = Active
admin-status-disabled = Disabled
admin-status-deactivated = Deactivated
admin-new-heading = New account
admin-new-hint = The new user signs in with this password and then sets up an authenticator. At least 12 characters; not a common password; not containing the e-mail address.
admin-new-submit = Create account
admin-created = The account was created.
admin-updated = The account was updated.
admin-error-email-taken = This e-mail address belongs or belonged to an account. Addresses are never reused.
admin-error-email = Enter a valid e-mail address.
admin-error-forbidden = You cannot manage that account or role.
password-too-short = The password must have at least 12 characters.
password-too-long = The password can have at most 128 characters.
password-common = That password is too common. Choose a longer phrase that others would not guess.
password-contains-email = The password must not contain the e-mail address.
password-repetitive = The password must not be one repeated character or a simple sequence.

audit-title = Audit log
audit-lede = Every sign-in, account change and view of a child's record, in a tamper-evident chain.
audit-filter-actor = Actor (user ID)
audit-filter-action = Action
audit-filter-from = From (date)
audit-filter-until = Until (date)
audit-filter-submit = Filter
audit-export = Download as CSV
audit-col-seq = No.
audit-col-at = Time (UTC)
audit-col-actor = Actor
audit-col-action = Action
audit-col-msix = MSIX ID
audit-col-purpose = Purpose
audit-col-ip = Address
audit-col-details = Details
audit-none = No events match.
audit-chain-ok = The audit chain is intact ({ $count } events).
audit-chain-broken = The audit chain is broken: { $count } problems. Run “puente audit verify”.
