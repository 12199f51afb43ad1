# Outcome letter of a parent/guardian correction request (PDF). Printed by crates/pdf.
letter-doc-title = Decision on your correction request, MSIX ID { $msix }
letter-title = Decision on your request to correct your child's records
letter-date = Date: { $date }
letter-child = Student
letter-msix = MSIX ID
letter-topic = Information you asked us to correct
letter-greeting = Dear parent or guardian,
letter-received = On { $requested }, you asked for a correction of your child's records held by { $state } in the Migrant Student Information Exchange.
letter-decided = We reviewed your request and decided on { $decided }:
letter-corrected = The information will be corrected. { $state } will send the corrected information within 4 working days of this decision.
letter-denied = The information will not be changed.
letter-reason = Explanation
letter-review = If you disagree with this decision, you may ask for a hearing or add a statement to your child's records. Contact your child's school or the state migrant education program, which will help you with the next steps.
letter-closing = Sincerely,
letter-signature = Migrant Education Program, { $state }
letter-footer = This letter concerns student education records protected by FERPA (34 CFR Part 99).
