using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ControlPlane.Features.Metering;

public enum WriteFailure
{
    /// <summary>The database is gone, busy or timed out: the same write will succeed later. Retry, forever.</summary>
    Transient,
    /// <summary>The database refuses this data (bad value, constraint): retrying the same rows never helps.</summary>
    Permanent,
    /// <summary>Not a database failure at all: a bug.</summary>
    Unexpected,
}

/// <summary>Tells why a write of call rows failed, from the innermost database error it carries.</summary>
public static class WriteFailures
{
    public static WriteFailure Classify(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return OfSqlState(pg.SqlState);
                case NpgsqlException { InnerException: System.Text.EncoderFallbackException }:
                    return WriteFailure.Permanent;
                case NpgsqlException:
                    // Connection refused or broken, timeouts: no SQLSTATE, nothing wrong with the data.
                    return WriteFailure.Transient;
                case SqliteException sqlite:
                    return OfSqlite(sqlite.SqliteErrorCode);
                case DbException:
                case TimeoutException:
                case SocketException:
                case IOException:
                    return WriteFailure.Transient;
                case System.Text.EncoderFallbackException:
                case System.Text.DecoderFallbackException:
                    return WriteFailure.Permanent; // text the driver cannot encode (a lone surrogate)
            }
        }
        // EF's own refusals without a database error inside (e.g. two rows with one key) are about the data.
        return ex is DbUpdateException or InvalidOperationException ? WriteFailure.Permanent : WriteFailure.Unexpected;
    }

    /// <summary>
    /// PostgreSQL: class 22 (data exception: NUL in text, overflow, bad encoding) and 23 (integrity constraint) are
    /// about the rows; everything else (08 connection, 40 serialization/deadlock, 53 resources, 57P shutdown, 55P03
    /// lock timeout, 58 system) is the server's state and passes.
    /// </summary>
    public static WriteFailure OfSqlState(string sqlState) =>
        sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("23", StringComparison.Ordinal)
            ? WriteFailure.Permanent
            : WriteFailure.Transient;

    /// <summary>SQLite: constraint, type mismatch, too big, range and format errors are about the rows; busy, locked, I/O and the rest pass.</summary>
    public static WriteFailure OfSqlite(int code) =>
        (code & 0xFF) is SQLitePrimary.Constraint or SQLitePrimary.Mismatch or SQLitePrimary.TooBig or SQLitePrimary.Range or SQLitePrimary.Format
            ? WriteFailure.Permanent
            : WriteFailure.Transient;

    private static class SQLitePrimary
    {
        public const int TooBig = 18, Constraint = 19, Mismatch = 20, Range = 25, Format = 24;
    }
}
