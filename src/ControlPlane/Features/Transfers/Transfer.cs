using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// A request to move budget into a wallet: from another wallet (lowering its limit) or, with no source, from the
/// organisation's unallocated budget (its limit less what its direct children's limits already take). Nothing moves
/// until it is approved; approval moves the limits and writes the ledger in one transaction.
/// </summary>
public sealed class Transfer
{
    public Guid Id { get; set; }
    /// <summary>Null: the organisation's unallocated budget.</summary>
    public Guid? FromWalletId { get; set; }
    public Guid ToWalletId { get; set; }
    public decimal Amount { get; set; }
    public required string Reason { get; set; }
    /// <summary>When set, what was granted flows back to its source at this moment (as much of it as is unspent).</summary>
    public DateTime? GrantExpiresAt { get; set; }
    public Guid? RequestedById { get; set; }
    public required string RequestedBy { get; set; }
    public required string State { get; set; }
    /// <summary>How many different approvers it needs (two above <see cref="TransferOptions.TwoApproverAbove"/>).</summary>
    public int ApprovalsNeeded { get; set; }
    public DateTime RequestedAt { get; set; }
    /// <summary>A request still pending at this moment expires.</summary>
    public DateTime PendingUntil { get; set; }
    public DateTime? DecidedAt { get; set; }
    public DateTime? ReturnedAt { get; set; }
    /// <summary>What flowed back at the grant's expiry (the unspent part of the amount).</summary>
    public decimal? ReturnedAmount { get; set; }
    /// <summary>Bumped by every change: two deciders racing on one request, only one change lands.</summary>
    public int Version { get; set; }

    public List<TransferApproval> Decisions { get; set; } = [];
}

/// <summary>One person's decision on a transfer: an approval (one of the needed ones) or the rejection.</summary>
public sealed class TransferApproval
{
    public Guid Id { get; set; }
    public Guid TransferId { get; set; }
    public Guid? ApproverId { get; set; }
    public required string Approver { get; set; }
    public required string Verdict { get; set; }
    public string? Comment { get; set; }
    public DateTime At { get; set; }
}

public static class TransferStates
{
    public const string Pending = nameof(Pending);
    public const string Approved = nameof(Approved);
    public const string Rejected = nameof(Rejected);
    public const string Expired = nameof(Expired);
    public const string Returned = nameof(Returned);

    public static IReadOnlyList<string> All { get; } = [Pending, Approved, Rejected, Expired, Returned];
}

public static class TransferVerdicts
{
    public const string Approved = "approved";
    public const string Rejected = "rejected";
}

internal sealed class TransferConfiguration : IEntityTypeConfiguration<Transfer>
{
    public void Configure(EntityTypeBuilder<Transfer> transfer)
    {
        transfer.ToTable("transfers");
        transfer.HasKey(t => t.Id);
        transfer.Property(t => t.Amount).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        transfer.Property(t => t.ReturnedAmount).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        transfer.Property(t => t.Reason).HasMaxLength(500);
        transfer.Property(t => t.RequestedBy).HasMaxLength(200);
        transfer.Property(t => t.State).HasMaxLength(16);
        transfer.Property(t => t.Version).IsConcurrencyToken();
        transfer.HasIndex(t => new { t.State, t.PendingUntil });
        transfer.HasIndex(t => new { t.State, t.GrantExpiresAt });
        transfer.HasIndex(t => t.ToWalletId);
        transfer.HasIndex(t => t.FromWalletId);
        transfer.HasIndex(t => t.RequestedAt);
        transfer.HasOne<Wallets.Wallet>().WithMany().HasForeignKey(t => t.ToWalletId).OnDelete(DeleteBehavior.Restrict);
        transfer.HasOne<Wallets.Wallet>().WithMany().HasForeignKey(t => t.FromWalletId).OnDelete(DeleteBehavior.Restrict);
        transfer.HasMany(t => t.Decisions).WithOne().HasForeignKey(a => a.TransferId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TransferApprovalConfiguration : IEntityTypeConfiguration<TransferApproval>
{
    public void Configure(EntityTypeBuilder<TransferApproval> approval)
    {
        approval.ToTable("transfer_approvals");
        approval.HasKey(a => a.Id);
        approval.Property(a => a.Approver).HasMaxLength(200);
        approval.Property(a => a.Verdict).HasMaxLength(16);
        approval.Property(a => a.Comment).HasMaxLength(500);
        // One decision per person per transfer: the same approver twice never counts as two.
        approval.HasIndex(a => new { a.TransferId, a.Approver }).IsUnique();
    }
}
