# Páginas de error para problemas que no son del usuario (crates/web/templates/error.html).
error-unavailable-title = Puente no está disponible por el momento
error-unavailable-text = No se puede conectar con la base de datos en este momento. No se cambió ni se perdió nada de lo que envió. Vuelva a intentarlo en unos minutos.
error-storage-full-title = Puente no puede guardar nada en este momento
error-storage-full-text = El almacenamiento del servidor está lleno, así que no se guardó nada de esta solicitud. Se avisó a sus administradores; vuelva a enviarla más tarde.
error-internal-title = Algo salió mal
error-internal-text = Puente no pudo completar esta solicitud. No quedó nada a medias. Vuelva a intentarlo; si sigue pasando, informe a su administrador la hora en que ocurrió.
