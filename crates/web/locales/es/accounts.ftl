## Cuentas: inicio de sesión, MFA, reglas de conducta, administración.

sign-in = Iniciar sesión
sign-out = Cerrar sesión
signed-in-as = Sesión de { $name }

login-title = Iniciar sesión en Puente
login-lede = Puente guarda expedientes de niños. Inicie sesión con su correo electrónico de trabajo y su contraseña.
login-email = Correo electrónico
login-password = Contraseña
login-submit = Continuar
login-failed = El correo electrónico o la contraseña no son correctos, o la cuenta no puede iniciar sesión ahora. Inténtelo de nuevo o consulte a su administrador de usuarios.
login-help = ¿Olvidó su contraseña o perdió su autenticador? Consulte al administrador de usuarios de su estado.

mfa-title = Escriba su código de seguridad
mfa-lede = Abra su aplicación de autenticación y escriba el código de 6 dígitos de Puente. Si perdió su dispositivo, escriba uno de sus códigos de recuperación.
mfa-code = Código de seguridad
mfa-code-hint = 6 dígitos, o un código de recuperación como 1a2b-3c4d-5e6f
mfa-submit = Iniciar sesión
mfa-failed = Ese código no es correcto. Revise la hora de su dispositivo y use el código más reciente.

enroll-title = Configure su autenticador
enroll-lede = Todas las cuentas de Puente usan un segundo paso al iniciar sesión. Agregue Puente a una aplicación de autenticación en su teléfono.
enroll-step-scan = Escanee este código con su aplicación de autenticación, o escriba la clave que aparece debajo.
enroll-qr-alt = Código QR para agregar Puente a una aplicación de autenticación
enroll-secret = Clave:
enroll-step-code = Escriba el código de 6 dígitos que muestra ahora la aplicación.
enroll-submit = Confirmar

recovery-title = Guarde sus códigos de recuperación
recovery-lede = Cada código le permite iniciar sesión una vez sin su autenticador. Guárdelos en un lugar seguro: solo se muestran ahora.
recovery-continue = Guardé mis códigos, continuar

rules-title = Reglas de conducta
rules-lede = Antes de usar Puente, y de nuevo cada año, confirme que seguirá estas reglas.
rules-1 = Consulto el expediente de un niño solo cuando lo necesito para mi trabajo con ese niño, e indico el motivo cuando se me pide.
rules-2 = No comparto mi cuenta, mi contraseña ni mis códigos de seguridad, y cierro la sesión cuando dejo mi computadora.
rules-3 = No copio, imprimo ni envío expedientes salvo lo que permite mi programa, y guardo bajo llave los expedientes impresos.
rules-4 = Informo de inmediato a mi administrador de usuarios de un dispositivo perdido, una posible divulgación o cualquier cosa inusual.
rules-accept = Leí y acepto las reglas de conducta.
rules-training = Completé la capacitación de seguridad y privacidad de este año.
rules-submit = Aceptar y continuar

forbidden-title = No tiene acceso a esta página
forbidden-body = Su función no incluye esta tarea. Si la necesita para su trabajo, consulte a su administrador de usuarios.

admin-title = Administración
admin-lede = Administre las cuentas de su estado y revise el registro de auditoría.
admin-users-heading = Cuentas
admin-audit-link = Registro de auditoría
admin-col-email = Correo electrónico
admin-col-name = Nombre
admin-col-role = Función
admin-col-state = Estado
admin-col-status = Situación
admin-col-last-login = Último inicio de sesión
admin-col-actions = Acciones
admin-never = Nunca
admin-national = Nacional
admin-disable = Desactivar temporalmente
admin-deactivate = Dar de baja
admin-reactivate = Reactivar
admin-status-active = Activa
admin-status-disabled = Desactivada temporalmente
admin-status-deactivated = Dada de baja
admin-new-heading = Cuenta nueva
admin-new-hint = La persona inicia sesión con esta contraseña y luego configura un autenticador. Al menos 12 caracteres; no una contraseña común; sin el correo electrónico.
admin-new-submit = Crear cuenta
admin-created = Se creó la cuenta.
admin-updated = Se actualizó la cuenta.
admin-error-email-taken = Este correo electrónico pertenece o perteneció a una cuenta. Los correos nunca se reutilizan.
admin-error-email = Escriba un correo electrónico válido.
admin-error-forbidden = No puede administrar esa cuenta o función.
password-too-short = La contraseña debe tener al menos 12 caracteres.
password-too-long = La contraseña puede tener como máximo 128 caracteres.
password-common = Esa contraseña es demasiado común. Elija una frase más larga que otros no adivinen.
password-contains-email = La contraseña no debe contener el correo electrónico.
password-repetitive = La contraseña no debe ser un solo carácter repetido ni una secuencia simple.

audit-title = Registro de auditoría
audit-lede = Cada inicio de sesión, cambio de cuenta y consulta del expediente de un niño, en una cadena que revela alteraciones.
audit-filter-actor = Actor (ID de usuario)
audit-filter-action = Acción
audit-filter-from = Desde (fecha)
audit-filter-until = Hasta (fecha)
audit-filter-submit = Filtrar
audit-export = Descargar como CSV
audit-col-seq = N.º
audit-col-at = Hora (UTC)
audit-col-actor = Actor
audit-col-action = Acción
audit-col-msix = ID MSIX
audit-col-purpose = Motivo
audit-col-ip = Dirección
audit-col-details = Detalles
audit-none = Ningún evento coincide.
audit-chain-ok = La cadena de auditoría está intacta ({ $count } eventos).
audit-chain-broken = La cadena de auditoría está rota: { $count } problemas. Ejecute «puente audit verify».
