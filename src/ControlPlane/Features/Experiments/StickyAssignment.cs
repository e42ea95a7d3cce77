using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Sticky assignment: a caller's (or end user's) id hashed with the experiment's id gives a bucket in 0..9,999, and the
/// variants own consecutive ranges of buckets by percentage. The same id always lands in the same bucket, so one user
/// stays on one variant; a different experiment hashes the same user elsewhere, so experiments do not correlate.
/// </summary>
public static class StickyAssignment
{
    public const int Buckets = 10_000;

    public static int Bucket(Guid experimentId, string stickyId)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(Math.Min(stickyId.Length, 512))];
        _ = experimentId.TryWriteBytes(input);
        var length = 16 + Encoding.UTF8.GetBytes(stickyId.AsSpan(0, Math.Min(stickyId.Length, 512)), input[16..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..length], hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % Buckets);
    }

    /// <summary>The index of the variant that owns <paramref name="bucket"/>, given percentages that sum to 100.</summary>
    public static int Pick(IReadOnlyList<int> percents, int bucket)
    {
        var upTo = 0;
        for (var i = 0; i < percents.Count; i++)
        {
            upTo += percents[i] * (Buckets / 100);
            if (bucket < upTo) return i;
        }
        return percents.Count - 1;
    }
}
