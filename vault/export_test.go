package vault

// PlantSlot writes a key slot for user into document id as a vault written
// before the consent rule could hold it, for the tests of package
// vault_test that check such a vault through the server and the command
// line.
var PlantSlot = plantSlotRaw
