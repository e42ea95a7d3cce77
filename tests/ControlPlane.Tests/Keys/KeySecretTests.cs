using System.Security.Cryptography;
using System.Text;
using ControlPlane.Features.Keys;

namespace ControlPlane.Tests.Keys;

public sealed class KeySecretTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [Fact]
    public void A_new_key_is_cp_live_and_40_base62_characters()
    {
        var key = KeySecret.NewPlaintext();

        Assert.Equal(48, key.Length);
        Assert.StartsWith("cp-live-", key, StringComparison.Ordinal);
        Assert.All(key[8..], c => Assert.Contains(c, Base62));
    }

    [Fact]
    public void The_prefix_is_the_scheme_and_the_first_8_random_characters()
    {
        var key = KeySecret.NewPlaintext();

        var prefix = KeySecret.PrefixOf(key);

        Assert.Equal(16, KeySecret.PrefixLength);
        Assert.Equal(key[..16], prefix);
        Assert.StartsWith(KeySecret.Scheme, prefix, StringComparison.Ordinal);
        Assert.Equal("cp-live-ab12CD34", KeySecret.PrefixOf("cp-live-ab12CD34" + new string('z', 32)));
    }

    [Fact]
    public void The_hash_of_abc_is_the_published_SHA_256_digest()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", KeySecret.HashOf("abc"));
    }

    [Fact]
    public void The_hash_is_lowercase_hex_SHA_256_of_the_UTF8_key()
    {
        const string key = "cp-live-0123456789abcdefghijABCDEFGHIJklmnopqrst";
        var expected = string.Concat(SHA256.HashData(Encoding.UTF8.GetBytes(key)).Select(b => b.ToString("x2")));

        var hash = KeySecret.HashOf(key);

        Assert.Equal(expected, hash);
        Assert.Equal(64, hash.Length);
        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public void The_hash_differs_for_keys_that_differ_in_one_character_and_is_stable()
    {
        var key = KeySecret.NewPlaintext();
        var other = key[..^1] + (key[^1] == 'a' ? 'b' : 'a');

        Assert.Equal(KeySecret.HashOf(key), KeySecret.HashOf(key));
        Assert.NotEqual(KeySecret.HashOf(key), KeySecret.HashOf(other));
    }

    [Fact]
    public void A_thousand_new_keys_are_all_distinct_and_so_are_their_prefixes_and_hashes()
    {
        var keys = Enumerable.Range(0, 1000).Select(_ => KeySecret.NewPlaintext()).ToList();

        Assert.Equal(1000, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(1000, keys.Select(KeySecret.HashOf).Distinct(StringComparer.Ordinal).Count());
        // 8 base62 characters (47.6 bits): a collision among 1,000 prefixes has odds of about 1 in 10^8.
        Assert.Equal(1000, keys.Select(KeySecret.PrefixOf).Distinct(StringComparer.Ordinal).Count());
        // Every character of the alphabet turns up somewhere in 40,000 random ones: the whole alphabet is used.
        Assert.Equal(Base62.Order(), keys.SelectMany(k => k[8..]).Distinct().Order());
    }

    [Fact]
    public void LooksLikeKey_accepts_real_keys()
    {
        for (var i = 0; i < 20; i++)
            Assert.True(KeySecret.LooksLikeKey(KeySecret.NewPlaintext()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cp-live-")]
    [InlineData("cp-live-ab12cd34")]
    [InlineData("sk-live-0123456789abcdefghijABCDEFGHIJklmnopqrst")]
    [InlineData("CP-LIVE-0123456789abcdefghijABCDEFGHIJklmnopqrst")]
    [InlineData(" cp-live-0123456789abcdefghijABCDEFGHIJklmnopqrst")]
    [InlineData("cp-test-0123456789abcdefghijABCDEFGHIJklmnopqrst")]
    [InlineData("platform-prod")]
    public void LooksLikeKey_rejects_what_is_not_a_key(string? value)
    {
        Assert.False(KeySecret.LooksLikeKey(value));
    }

    private static readonly DateTime Now = new(2026, 11, 22, 10, 30, 15, DateTimeKind.Utc);

    [Fact]
    public void Expiry_in_days_counts_from_now()
    {
        Assert.Equal(Now.AddDays(30), KeyCommands.ParseExpiry("30d", Now));
        Assert.Equal(Now.AddDays(1), KeyCommands.ParseExpiry("1d", Now));
    }

    [Fact]
    public void Expiry_as_a_date_is_that_midnight_in_UTC()
    {
        var parsed = KeyCommands.ParseExpiry("2027-01-31", Now);

        Assert.Equal(new DateTime(2027, 1, 31, 0, 0, 0, DateTimeKind.Utc), parsed);
        Assert.Equal(DateTimeKind.Utc, parsed!.Value.Kind);
    }

    [Fact]
    public void Expiry_as_a_time_with_an_offset_is_converted_to_UTC()
    {
        var parsed = KeyCommands.ParseExpiry("2027-01-31T18:00+02:00", Now);

        Assert.Equal(new DateTime(2027, 1, 31, 16, 0, 0, DateTimeKind.Utc), parsed);
        Assert.Equal(DateTimeKind.Utc, parsed!.Value.Kind);
    }

    [Fact]
    public void Expiry_as_a_time_without_an_offset_is_taken_as_UTC()
    {
        Assert.Equal(new DateTime(2027, 1, 31, 18, 0, 0, DateTimeKind.Utc), KeyCommands.ParseExpiry("2027-01-31T18:00", Now));
        Assert.Equal(new DateTime(2027, 1, 31, 18, 0, 0, DateTimeKind.Utc), KeyCommands.ParseExpiry("2027-01-31T18:00Z", Now));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0d")]
    [InlineData("-3d")]
    [InlineData("d")]
    [InlineData("")]
    public void Expiry_that_is_neither_a_date_nor_a_positive_number_of_days_is_not_understood(string text)
    {
        Assert.Null(KeyCommands.ParseExpiry(text, Now));
    }
}
