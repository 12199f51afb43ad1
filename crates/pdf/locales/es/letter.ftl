# Carta con la decisión sobre una solicitud de corrección de un padre, madre o tutor (PDF).
letter-doc-title = Decisión sobre su solicitud de corrección, ID MSIX { $msix }
letter-title = Decisión sobre su solicitud de corregir los expedientes de su hijo o hija
letter-date = Fecha: { $date }
letter-child = Estudiante
letter-msix = ID MSIX
letter-topic = Información que usted pidió corregir
letter-greeting = Estimado padre, madre o tutor:
letter-received = El { $requested }, usted pidió corregir los expedientes de su hijo o hija que tiene { $state } en el Intercambio de Información de Estudiantes Migrantes.
letter-decided = Revisamos su solicitud y el { $decided } decidimos lo siguiente:
letter-corrected = La información será corregida. { $state } enviará la información corregida dentro de los 4 días hábiles siguientes a esta decisión.
letter-denied = La información no será modificada.
letter-reason = Explicación
letter-review = Si no está de acuerdo con esta decisión, puede pedir una audiencia o agregar una declaración a los expedientes de su hijo o hija. Comuníquese con la escuela de su hijo o hija o con el programa estatal de educación migrante, que le ayudará con los siguientes pasos.
letter-closing = Atentamente,
letter-signature = Programa de Educación Migrante, { $state }
letter-footer = Esta carta trata de expedientes educativos protegidos por FERPA (34 CFR parte 99).
