namespace FuncRec.Serving;

/// <summary>One recommended item: its catalog index and id, and its raw score (not clipped to a rating range).</summary>
public readonly record struct ScoredItem(int Index, string Id, float Score);
