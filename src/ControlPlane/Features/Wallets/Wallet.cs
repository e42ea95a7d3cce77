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

    /// <summary>The start of the period that contains <paramref name="at"/> (UTC; weeks start on Monday).</summary>
    public static DateTime StartOf(string period, DateTime at) => period switch
    {
        Monthly => new DateTime(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        Weekly => at.Date.AddDays(-(((int)at.DayOfWeek + 6) % 7)),
        Daily => at.Date,
        _ => DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc),
    };

    public static DateTime? EndOf(string period, DateTime start) => period switch
    {
        Monthly => start.AddMonths(1),
        Weekly => start.AddDays(7),
        Daily => start.AddDays(1),
        _ => null,
    };
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
