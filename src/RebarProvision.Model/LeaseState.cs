namespace RebarProvision.Model;

public enum LeaseState
{
    Offered,
    Bound,
    Expired,
    Declined,
    Released,
}
