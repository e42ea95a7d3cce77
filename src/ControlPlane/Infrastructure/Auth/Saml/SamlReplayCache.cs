using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>An assertion id already used for a sign-in, kept until the assertion could no longer be accepted anyway.</summary>
public sealed class SamlAssertionId
{
    public const int MaxLength = 256;

    public required string Id { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class SamlAssertionIdConfiguration : IEntityTypeConfiguration<SamlAssertionId>
{
    public void Configure(EntityTypeBuilder<SamlAssertionId> id)
    {
        id.ToTable("saml_assertion_ids");
        id.HasKey(x => x.Id);
        id.Property(x => x.Id).HasMaxLength(SamlAssertionId.MaxLength);
        id.HasIndex(x => x.ExpiresAt);
    }
}

/// <summary>
/// Each assertion signs someone in once, on whichever node it reaches: its id is inserted into the shared database
/// and the primary key refuses a second insert, so two nodes racing on the same assertion cannot both accept it.
/// Ids past their assertion's expiry are swept now and then (an expired assertion is refused on its time anyway).
/// </summary>
public sealed class SamlReplayCache(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider time)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(10);
    private long _nextSweepTicks;

    /// <summary>True the first time an assertion id is seen (anywhere in the cluster); false on every replay.</summary>
    public async Task<bool> TryUseAsync(string providerName, SamlAssertion assertion, CancellationToken cancel)
    {
        var key = $"{providerName}:{assertion.Id}";
        if (key.Length > SamlAssertionId.MaxLength)
            throw new SamlRefusedException(SamlRefusal.Malformed, $"the Assertion's ID is longer than {SamlAssertionId.MaxLength - providerName.Length - 1} characters.");
        await SweepIfDueAsync(cancel);
        await using var db = await dbFactory.CreateDbContextAsync(cancel);
        db.Set<SamlAssertionId>().Add(new SamlAssertionId { Id = key, ExpiresAt = assertion.ExpiresAt.UtcDateTime });
        try
        {
            await db.SaveChangesAsync(cancel);
            return true;
        }
        catch (DbUpdateException)
        {
            // The key's own violation, or something else (a lost connection): only the former is a replay.
            await using var check = await dbFactory.CreateDbContextAsync(cancel);
            if (await check.Set<SamlAssertionId>().AnyAsync(x => x.Id == key, cancel)) return false;
            throw;
        }
    }

    private async Task SweepIfDueAsync(CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepEvery).UtcTicks, due) != due) return;
        await using var db = await dbFactory.CreateDbContextAsync(cancel);
        var cutoff = now.UtcDateTime;
        await db.Set<SamlAssertionId>().Where(x => x.ExpiresAt < cutoff).ExecuteDeleteAsync(cancel);
    }
}
