namespace FuncRec.Core.Training;

/// <summary>One interaction of a user with an item, by catalog index: a rating value, or an implicit event's weight.</summary>
public readonly record struct Interaction(int User, int Item, float Value, long Timestamp = 0);
