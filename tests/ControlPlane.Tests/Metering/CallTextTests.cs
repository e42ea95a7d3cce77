using ControlPlane.Features.Metering;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ControlPlane.Tests.Metering;

/// <summary>What the database cannot store is cleaned out of a row's text, and write failures are told apart.</summary>
public sealed class CallTextTests
{
    // Built in code: a lone surrogate does not survive as attribute data.
    private static readonly (string Dirty, string Clean)[] Cases =
    [
        ("a\0b", "a\uFFFDb"),
        ("\0", "\uFFFD"),
        ("lone high \uD83D end", "lone high \uFFFD end"),
        ("lone low \uDE00 end", "lone low \uFFFD end"),
        ("reversed \uDE00\uD83D", "reversed \uFFFD\uFFFD"),
        ("emoji \uD83D\uDE00 stays", "emoji \uD83D\uDE00 stays"),
        ("high at the end \uD83D", "high at the end \uFFFD"),
        ("pair \uD83D\uDE00 then \0", "pair \uD83D\uDE00 then \uFFFD"),
    ];

    [Fact]
    public void Nul_and_lone_surrogates_become_the_replacement_character()
    {
        foreach (var (dirty, clean) in Cases)
        {
            Assert.Equal(clean, CallText.Clean(dirty));
            Assert.True(CallText.IsClean(CallText.Clean(dirty)));
        }
    }

    [Fact]
    public void Clean_text_is_returned_as_it_is()
    {
        const string text = "gpt-4o 😀 ünïcode";
        Assert.Same(text, CallText.Clean(text));
    }

    [Fact]
    public void Capping_never_cuts_a_surrogate_pair_in_half()
    {
        var value = new string('x', 199) + "😀tail";
        Assert.Equal(new string('x', 199), CallText.Clip(value, 200));
        Assert.Equal(new string('x', 199) + "😀", CallText.Clip(value, 201));
        Assert.Null(CallText.Clip("", 10));
    }

    [Fact]
    public void Every_text_field_of_a_row_is_cleaned_and_capped()
    {
        var row = new CallRecord
        {
            Endpoint = "chat",
            Caller = "c\0" + new string('c', 300),
            EndUser = "u\uD800",
            ModelRequested = "m\0",
            ModelServed = "s\uDC00",
            ProviderName = new string('p', 150),
            RouteReason = "r\0" + new string('r', CallText.RouteReasonMax),
            ErrorClass = "e\0",
        };

        CallText.Clean(row);

        Assert.Equal(CallText.CallerMax, row.Caller!.Length);
        Assert.StartsWith("c\uFFFD", row.Caller, StringComparison.Ordinal);
        Assert.Equal("u\uFFFD", row.EndUser);
        Assert.Equal("m\uFFFD", row.ModelRequested);
        Assert.Equal("s\uFFFD", row.ModelServed);
        Assert.Equal(CallText.ProviderNameMax, row.ProviderName!.Length);
        Assert.Equal(CallText.RouteReasonMax, row.RouteReason!.Length);
        Assert.Equal("e\uFFFD", row.ErrorClass);
    }

    [Theory]
    [InlineData("22021", WriteFailure.Permanent)] // invalid byte sequence (a NUL in text)
    [InlineData("22001", WriteFailure.Permanent)] // string too long
    [InlineData("22003", WriteFailure.Permanent)] // numeric overflow
    [InlineData("23505", WriteFailure.Permanent)] // unique violation
    [InlineData("08006", WriteFailure.Transient)] // connection failure
    [InlineData("57P01", WriteFailure.Transient)] // admin shutdown
    [InlineData("53300", WriteFailure.Transient)] // too many connections
    [InlineData("40001", WriteFailure.Transient)] // serialization failure
    [InlineData("40P01", WriteFailure.Transient)] // deadlock
    public void PostgreSQL_data_and_constraint_errors_are_permanent_and_the_rest_transient(string sqlState, WriteFailure expected)
    {
        var error = new PostgresException("test", "ERROR", "ERROR", sqlState);
        Assert.Equal(expected, WriteFailures.Classify(new Microsoft.EntityFrameworkCore.DbUpdateException("wrapped", error)));
    }

    [Theory]
    [InlineData(19, WriteFailure.Permanent)] // constraint
    [InlineData(20, WriteFailure.Permanent)] // mismatch
    [InlineData(5, WriteFailure.Transient)]  // busy
    [InlineData(6, WriteFailure.Transient)]  // locked
    [InlineData(10, WriteFailure.Transient)] // I/O error
    public void SQLite_constraint_errors_are_permanent_and_busy_or_locked_transient(int code, WriteFailure expected) =>
        Assert.Equal(expected, WriteFailures.Classify(new SqliteException("test", code)));

    [Fact]
    public void A_refused_connection_or_a_timeout_is_transient_and_a_bug_is_unexpected()
    {
        Assert.Equal(WriteFailure.Transient, WriteFailures.Classify(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111))));
        Assert.Equal(WriteFailure.Transient, WriteFailures.Classify(new TimeoutException()));
        Assert.Equal(WriteFailure.Permanent, WriteFailures.Classify(new NpgsqlException("encode", new System.Text.EncoderFallbackException())));
        Assert.Equal(WriteFailure.Unexpected, WriteFailures.Classify(new ArgumentOutOfRangeException("bug")));
    }
}
