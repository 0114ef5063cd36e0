// Included first by every core .cpp file: the core must never see a
// PostgreSQL header, because a PostgreSQL ERROR (a longjmp) would skip its
// destructors. Core headers themselves stay includable from backend files.
#pragma once

#if defined(POSTGRES_H) || defined(C_H) || defined(PG_CONFIG_H)
#error "core files are plain C++: do not include PostgreSQL headers here"
#endif
