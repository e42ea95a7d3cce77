using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Features.Keys;

/// <summary>Makes and hashes key plaintexts: <c>cp-live-</c> then 40 random base62 characters (238 bits).</summary>
public static class KeySecret
{
    public const string Scheme = "cp-live-";
    private const int RandomLength = 40;
    /// <summary>The visible prefix: the scheme plus the first 8 random characters, e.g. cp-live-ab12cd34.</summary>
    public const int PrefixLength = 16;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string NewPlaintext() => Scheme + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static string PrefixOf(string plaintext) => plaintext[..PrefixLength];

    /// <summary>Lower-case hex SHA-256. Keys carry enough entropy that a fast hash is the right one.</summary>
    public static string HashOf(string plaintext) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));

    public static bool LooksLikeKey(string? value) =>
        value is { Length: > PrefixLength } && value.StartsWith(Scheme, StringComparison.Ordinal);
}
