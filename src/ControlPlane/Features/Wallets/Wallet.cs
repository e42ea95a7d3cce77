using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// A budget for one owner (the organisation, a team, or a key) per period. <see cref="Spent"/> and
/// <see cref="Leased"/> are the sums of the wallet's ledger accounts, kept beside them so one conditional UPDATE can
/// grant a lease: a grant succeeds only while Spent + Leased + grant stays within Limit plus overdraft, so however
/// many nodes ask at once, no money is granted twice.
/// </summary>
public sealed class Wallet
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string OwnerKind { get; set; }
    public Guid OwnerId { get; set; }
    public Guid? ParentWalletId { get; set; }
    public required string Period { get; set; }
    /// <summary>Null: no limit (spend is still tracked).</summary>
    public decimal? Limit { get; set; }
    public decimal OverdraftPercent { get; set; }
    /// <summary>Soft thresholds in percent of the limit, comma-separated (80,90,95 by default).</summary>
    public required string Thresholds { get; set; }
    public required string ExhaustionPolicy { get; set; }
    /// <summary>With the Downgrade policy: the cheaper alias calls are sent to once the money is gone.</summary>
    public string? DowngradeAlias { get; set; }
    public DateTime PeriodStart { get; set; }
    public decimal Spent { get; set; }
    public decimal Leased { get; set; }
    /// <summary>The highest threshold already announced this period (0: none), so each is announced once.</summary>
    public int AnnouncedThreshold { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The finance cost centre of a team's wallet: its team's spend is charged there unless the team names its own (Features/FinOps).</summary>
    public string? CostCentre { get; set; }

    /// <summary>The most that may be spent this period, overdraft included; null when unlimited.</summary>
    public decimal? Ceiling => Limit is { } limit ? limit * (1 + OverdraftPercent / 100m) : null;
}

public static class WalletOwners
{
    public const string Organization = "organization";
    public const string Team = "team";
    public const string Project = "project";
    public const string Key = "key";
}

public static class WalletPeriods
{
    public const string Monthly = "monthly";
    public const string Weekly = "weekly";
    public const string Daily = "daily";
    public const string None = "none";

    public static IReadOnlyList<string> All { get; } = [Monthly, Weekly, Daily, None];

    /// <summary>The start of the period that contains <paramref name="at"/> in UTC calendar periods (weeks start on Monday).</summary>
    public static DateTime StartOf(string period, DateTime at) => StartOf(period, at, TimeZoneInfo.Utc);

    /// <summary>
    /// The start (a UTC instant) of the period that contains <paramref name="at"/> in <paramref name="zone"/>'s calendar:
    /// local midnight of the day, the Monday, or the 1st. DST-safe: a midnight that a spring-forward skips starts at the
    /// first local instant after the gap, and a midnight that occurs twice starts at its first occurrence.
    /// </summary>
    public static DateTime StartOf(string period, DateTime at, TimeZoneInfo zone)
    {
        if (period is not (Monthly or Weekly or Daily)) return DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(at, DateTimeKind.Utc), zone);
        return LocalMidnightToUtc(LocalStart(period, local), zone);
    }

    public static DateTime? EndOf(string period, DateTime start) => EndOf(period, start, TimeZoneInfo.Utc);

    /// <summary>The end of the period that began at <paramref name="start"/>: the next period's start in <paramref name="zone"/>.</summary>
    public static DateTime? EndOf(string period, DateTime start, TimeZoneInfo zone)
    {
        if (period is not (Monthly or Weekly or Daily)) return null;
        var local = LocalStart(period, TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(start, DateTimeKind.Utc), zone));
        var next = period switch { Monthly => local.AddMonths(1), Weekly => local.AddDays(7), _ => local.AddDays(1) };
        return LocalMidnightToUtc(next, zone);
    }

    private static DateTime LocalStart(string period, DateTime local) => period switch
    {
        Monthly => new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
        Weekly => DateTime.SpecifyKind(local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)), DateTimeKind.Unspecified),
        _ => DateTime.SpecifyKind(local.Date, DateTimeKind.Unspecified),
    };

    private static DateTime LocalMidnightToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // Clocks change on whole quarter hours; the first valid quarter after a gap is the instant the clocks jumped.
        for (var i = 0; zone.IsInvalidTime(local) && i < 24 * 4 * 2; i++) local = local.AddMinutes(15);
        if (zone.IsAmbiguousTime(local))
            return DateTime.SpecifyKind(local - zone.GetAmbiguousTimeOffsets(local).Max(), DateTimeKind.Utc);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}

public static class ExhaustionPolicies
{
    public const string Block = "block";
    public const string Downgrade = "downgrade";
    public const string WarnOnly = "warn";

    public static IReadOnlyList<string> All { get; } = [Block, Downgrade, WarnOnly];
}

internal sealed class WalletConfiguration : IEntityTypeConfiguration<Wallet>
{
    public void Configure(EntityTypeBuilder<Wallet> wallet)
    {
        wallet.ToTable("wallets");
        wallet.HasKey(w => w.Id);
        wallet.Property(w => w.Name).HasMaxLength(200);
        wallet.Property(w => w.OwnerKind).HasMaxLength(16);
        wallet.Property(w => w.CostCentre).HasMaxLength(40);
        wallet.Property(w => w.Period).HasMaxLength(16);
        wallet.Property(w => w.Limit).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        wallet.Property(w => w.OverdraftPercent).HasPrecision(9, 4);
        wallet.Property(w => w.Thresholds).HasMaxLength(100);
        wallet.Property(w => w.ExhaustionPolicy).HasMaxLength(16);
        wallet.Property(w => w.DowngradeAlias).HasMaxLength(100);
        wallet.Property(w => w.Spent).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        wallet.Property(w => w.Leased).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        wallet.Ignore(w => w.Ceiling);
        wallet.HasIndex(w => new { w.OwnerKind, w.OwnerId }).IsUnique();
        wallet.HasIndex(w => w.ParentWalletId);
        wallet.HasOne<Wallet>().WithMany().HasForeignKey(w => w.ParentWalletId).OnDelete(DeleteBehavior.Restrict);
    }
}
