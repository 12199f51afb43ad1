# Error pages for problems that are not the user's (crates/web/templates/error.html).
error-unavailable-title = Puente is temporarily unavailable
error-unavailable-text = The database cannot be reached right now. Nothing you sent was changed or lost. Please try again in a few minutes.
error-storage-full-title = Puente cannot store anything right now
error-storage-full-text = The server's storage is full, so nothing of this request was kept. Your administrators have been alerted; please send it again later.
error-internal-title = Something went wrong
error-internal-text = Puente could not complete this request. Nothing was half-done. Please try again; if it keeps happening, tell your administrator the time it happened.
