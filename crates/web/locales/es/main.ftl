## Portal web de Puente: textos en español.
## Cada identificador debe existir también en en/main.ftl (una prueba lo comprueba).

site-name = Puente
site-tagline = Intercambio de expedientes de estudiantes migrantes

## Marco
skip-to-main = Saltar al contenido principal
nav-label-primary = Navegación principal
nav-label-footer = Navegación del pie de página
menu-button = Menú
menu-close = Cerrar
home-link-title = Inicio de Puente

## Navegación por tarea
nav-search = Buscar
nav-worklists = Listas de trabajo
nav-notices = Avisos
nav-reports = Informes
nav-submissions = Envíos
nav-admin = Administración

## Cambio de idioma (cada idioma se nombra a sí mismo)
lang-name-en = English
lang-name-es = Español

## Pie de página
footer-about = Puente ayuda a escuelas y programas a compartir los expedientes de niños migrantes para que la inscripción, la ubicación y la acumulación de créditos no se retrasen cuando las familias se mudan.
footer-return-top = Volver arriba

## Inicio
home-title = Puente
home-lede = Busque y consulte los expedientes consolidados de niños migrantes, trabaje en sus listas y envíe y responda avisos entre escuelas y estados.
home-tasks-heading = ¿Qué necesita hacer?
task-search-desc = Busque a un niño por nombre, fecha de nacimiento, ID de MSIX o ID estatal y consulte el expediente consolidado.
task-worklists-desc = Revise posibles expedientes duplicados y expedientes que requieren una decisión.
task-notices-desc = Envíe y responda avisos de traslado y solicitudes de expedientes entre escuelas y estados.
task-reports-desc = Conteos y listas por estado, programa y año escolar.
task-submissions-desc = Suba archivos de expedientes estatales y siga cómo se procesaron.
task-admin-desc = Administre usuarios, funciones y organizaciones.
task-open = Abrir { $task }

## Secciones aún no construidas
coming-soon-heading = Próximamente
coming-soon-body = Esta parte de Puente está en construcción. Estará disponible en una versión posterior.
back-home = Ir a la página de inicio de Puente

## Errores
not-found-title = Página no encontrada
not-found-body = No encontramos la página que buscaba. Revise la dirección o vuelva a empezar desde la página de inicio.
