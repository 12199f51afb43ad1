## Puente web portal: English strings.
## Every message id here must also exist in es/main.ftl (a test checks).

site-name = Puente
site-tagline = Migrant student record exchange

## Frame
skip-to-main = Skip to main content
nav-label-primary = Primary navigation
nav-label-footer = Footer navigation
menu-button = Menu
menu-close = Close
home-link-title = Puente home

## Navigation by task
nav-search = Search
nav-worklists = Worklists
nav-notices = Notices
nav-reports = Reports
nav-submissions = Submissions
nav-admin = Administration

## Language switch (each language names itself)
lang-name-en = English
lang-name-es = Español

## Footer
footer-about = Puente helps schools and programs share the records of migrant children so that enrollment, placement and credit accrual are not delayed when families move.
footer-return-top = Return to top

## Home
home-title = Puente
home-lede = Find and view consolidated records of migrant children, work on your lists, and send and answer notices between schools and states.
home-tasks-heading = What do you need to do?
task-search-desc = Find a child by name, birth date, MSIX ID or state ID and view the consolidated record.
task-worklists-desc = Review possible duplicate records and records that need a decision.
task-notices-desc = Send and answer move notices and records requests between schools and states.
task-reports-desc = Counts and lists by state, program and school year.
task-submissions-desc = Upload state record files and follow how they were processed.
task-admin-desc = Manage users, roles and organisations.
task-open = Open { $task }

## Sections not yet built
coming-soon-heading = Coming soon
coming-soon-body = This part of Puente is being built. It will be available in a later release.
back-home = Go to the Puente home page

## Errors
not-found-title = Page not found
not-found-body = We could not find the page you were looking for. Check the address, or start again from the home page.
