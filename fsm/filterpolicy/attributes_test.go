package filterpolicy

import "testing"

func TestMatchAttributesString(t *testing.T) {
	runAttrCases(t, []attrCase{
		{"exact", `{"a":["x"]}`, attrs("a", str("x")), true},
		{"exact other", `{"a":["x"]}`, attrs("a", str("y")), false},
		{"exact custom type", `{"a":["x"]}`, attrs("a", Attribute{DataType: "String.custom", Value: "x"}), true},
		{"exact empty string", `{"a":[""]}`, attrs("a", str("")), true},
		{"number policy string value", `{"a":[5]}`, attrs("a", str("5")), false},
		{"bool policy string value", `{"a":[true]}`, attrs("a", str("true")), false},
		{"null policy string value", `{"a":[null]}`, attrs("a", str("null")), false},
		{"prefix", `{"a":[{"prefix":"ab"}]}`, attrs("a", str("abc")), true},
		{"prefix no", `{"a":[{"prefix":"ab"}]}`, attrs("a", str("ba")), false},
		{"prefix empty", `{"a":[{"prefix":""}]}`, attrs("a", str("anything")), true},
		{"suffix", `{"a":[{"suffix":"bc"}]}`, attrs("a", str("abc")), true},
		{"suffix no", `{"a":[{"suffix":"bc"}]}`, attrs("a", str("cb")), false},
		{"equals-ignore-case", `{"a":[{"equals-ignore-case":"ÉTÉ"}]}`, attrs("a", str("été")), true},
		{"equals-ignore-case no", `{"a":[{"equals-ignore-case":"abc"}]}`, attrs("a", str("abcd")), false},
		{"anything-but single", `{"a":[{"anything-but":"x"}]}`, attrs("a", str("y")), true},
		{"anything-but single no", `{"a":[{"anything-but":"x"}]}`, attrs("a", str("x")), false},
		{"anything-but prefix", `{"a":[{"anything-but":{"prefix":"ab"}}]}`, attrs("a", str("ba")), true},
		{"anything-but prefix no", `{"a":[{"anything-but":{"prefix":"ab"}}]}`, attrs("a", str("abc")), false},
		{"anything-but suffix", `{"a":[{"anything-but":{"suffix":"bc"}}]}`, attrs("a", str("cb")), true},
		{"anything-but suffix no", `{"a":[{"anything-but":{"suffix":"bc"}}]}`, attrs("a", str("abc")), false},
		{"anything-but numbers on string", `{"a":[{"anything-but":[1,2]}]}`, attrs("a", str("1")), true},
		{"numeric on string", `{"a":[{"numeric":[">",0]}]}`, attrs("a", str("5")), false},
		{"cidr v4", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs("ip", str("192.168.10.1")), true},
		{"cidr v4 leading zeros", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs("ip", str("192.168.010.001")), true},
		{"cidr v4 no", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs("ip", str("192.169.0.1")), false},
		{"cidr v4 against v6", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs("ip", str("2001:db8::1")), false},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, attrs("ip", str("2001:db8:ffff::1")), true},
		{"cidr v6 no", `{"ip":[{"cidr":"2001:db8::/32"}]}`, attrs("ip", str("2001:db9::1")), false},
		{"cidr v4-mapped v6 value", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, attrs("ip", str("::ffff:a01:203")), true},
		// As in AWS's rule engine, the range starts at the address written.
		{"cidr host bits kept", `{"ip":[{"cidr":"10.0.0.128/24"}]}`, attrs("ip", str("10.0.0.1")), false},
		{"cidr not an address", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, attrs("ip", str("10.0.0")), false},
		{"cidr octet too big", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, attrs("ip", str("10.0.0.256")), false},
		{"value list is OR", `{"a":["x",{"prefix":"q"},{"numeric":["=",1]}]}`, attrs("a", str("qq")), true},
	})
}

func TestMatchAttributesNumber(t *testing.T) {
	runAttrCases(t, []attrCase{
		{"exact value equality", `{"n":[5]}`, attrs("n", num("5.0")), true},
		{"exact exponent", `{"n":[500]}`, attrs("n", num("5E2")), true},
		{"exact negative", `{"n":[-2.5]}`, attrs("n", num("-2.50")), true},
		{"exact custom type", `{"n":[5]}`, attrs("n", Attribute{DataType: "Number.price", Value: "5"}), true},
		{"exact other", `{"n":[5]}`, attrs("n", num("5.1")), false},
		{"six decimals", `{"n":[0.000001]}`, attrs("n", num("0.000001")), true},
		{"beyond six decimals", `{"n":[5]}`, attrs("n", num("5.0000001")), true},
		{"string policy number value", `{"n":["5"]}`, attrs("n", num("5")), false},
		{"prefix on number", `{"n":[{"prefix":"5"}]}`, attrs("n", num("5")), false},
		{"equals", `{"n":[{"numeric":["=",5]}]}`, attrs("n", num("5")), true},
		{"less", `{"n":[{"numeric":["<",5]}]}`, attrs("n", num("4.99")), true},
		{"less edge", `{"n":[{"numeric":["<",5]}]}`, attrs("n", num("5")), false},
		{"less or equal", `{"n":[{"numeric":["<=",5]}]}`, attrs("n", num("5")), true},
		{"greater", `{"n":[{"numeric":[">",5]}]}`, attrs("n", num("5.01")), true},
		{"greater edge", `{"n":[{"numeric":[">",5]}]}`, attrs("n", num("5")), false},
		{"greater or equal", `{"n":[{"numeric":[">=",5]}]}`, attrs("n", num("5")), true},
		{"range open", `{"n":[{"numeric":[">",0,"<",10]}]}`, attrs("n", num("10")), false},
		{"range closed", `{"n":[{"numeric":[">=",0,"<=",10]}]}`, attrs("n", num("0")), true},
		{"range negative", `{"n":[{"numeric":[">=",-10,"<",-5]}]}`, attrs("n", num("-7")), true},
		{"range negative out", `{"n":[{"numeric":[">=",-10,"<",-5]}]}`, attrs("n", num("-10.000001")), false},
		{"value beyond 5e9", `{"n":[{"numeric":[">",0]}]}`, attrs("n", num("6e9")), false},
		{"value within 5e9", `{"n":[{"numeric":[">",0]}]}`, attrs("n", num("4e9")), true},
		{"unparseable number", `{"n":[{"numeric":[">",0]}]}`, attrs("n", num("abc")), false},
		{"unparseable number exists", `{"n":[{"exists":true}]}`, attrs("n", num("abc")), true},
		{"anything-but number", `{"n":[{"anything-but":5}]}`, attrs("n", num("5.00")), false},
		{"anything-but number other", `{"n":[{"anything-but":5}]}`, attrs("n", num("6")), true},
		{"anything-but strings on number", `{"n":[{"anything-but":["5"]}]}`, attrs("n", num("5")), true},
	})
}

func TestMatchAttributesStringArray(t *testing.T) {
	runAttrCases(t, []attrCase{
		{"any element", `{"a":["y"]}`, attrs("a", arr(`["x","y"]`)), true},
		{"no element", `{"a":["z"]}`, attrs("a", arr(`["x","y"]`)), false},
		{"number element", `{"a":[2]}`, attrs("a", arr(`[1, 2.0]`)), true},
		{"numeric element", `{"a":[{"numeric":[">",1]}]}`, attrs("a", arr(`["9", 0, 3]`)), true},
		{"string number element is a string", `{"a":[{"numeric":[">",1]}]}`, attrs("a", arr(`["9"]`)), false},
		{"boolean element", `{"a":[true]}`, attrs("a", arr(`[false, true]`)), true},
		{"null element", `{"a":[null]}`, attrs("a", arr(`["x", null]`)), true},
		{"nested array element", `{"a":["z"]}`, attrs("a", arr(`[["z"]]`)), true},
		{"prefix element", `{"a":[{"prefix":"ba"}]}`, attrs("a", arr(`["rugby","baseball"]`)), true},
		{"anything-but all pass", `{"a":[{"anything-but":["x"]}]}`, attrs("a", arr(`["y","z"]`)), true},
		{"anything-but one listed", `{"a":[{"anything-but":["x"]}]}`, attrs("a", arr(`["y","x"]`)), false},
		{"anything-but prefix one listed", `{"a":[{"anything-but":{"prefix":"x"}}]}`, attrs("a", arr(`["y","xy"]`)), false},
		{"anything-but empty array", `{"a":[{"anything-but":["x"]}]}`, attrs("a", arr(`[]`)), false},
		{"empty array exists", `{"a":[{"exists":true}]}`, attrs("a", arr(`[]`)), false},
		{"empty array absent", `{"a":[{"exists":false}]}`, attrs("a", arr(`[]`), "b", str("x")), false},
		{"not JSON taken whole", `{"a":["[x"]}`, attrs("a", arr(`[x`)), true},
		{"object not an array taken whole", `{"a":[{"prefix":"{"}]}`, attrs("a", arr(`{"k":"v"}`)), true},
	})
}

func TestMatchAttributesPresence(t *testing.T) {
	runAttrCases(t, []attrCase{
		{"missing exact", `{"a":["x"]}`, attrs("b", str("x")), false},
		{"missing anything-but", `{"a":[{"anything-but":"x"}]}`, attrs("b", str("x")), false},
		{"missing null", `{"a":[null]}`, attrs("b", str("x")), false},
		{"missing exists false", `{"a":[{"exists":false}]}`, attrs("b", str("x")), true},
		{"present exists false", `{"a":[{"exists":false}]}`, attrs("a", str("x")), false},
		{"present exists true", `{"a":[{"exists":true}]}`, attrs("a", str("x")), true},
		{"empty string exists true", `{"a":[{"exists":true}]}`, attrs("a", str("")), false},
		{"exists false or value", `{"a":[{"exists":false},"x"]}`, attrs("a", str("x")), true},
		{"no attributes", `{"a":[{"exists":false}]}`, attrs(), false},
		{"nil attributes", `{"a":[{"exists":false}]}`, nil, false},
		// Binary attributes are ignored: absent for the policy.
		{"binary exists true", `{"a":[{"exists":true}]}`, attrs("a", bin("AAEC")), false},
		{"binary exists false", `{"a":[{"exists":false}]}`, attrs("a", bin("AAEC"), "b", str("x")), true},
		{"binary value", `{"a":["AAEC"]}`, attrs("a", bin("AAEC")), false},
		{"binary custom", `{"a":[{"exists":true}]}`, attrs("a", Attribute{DataType: "Binary.png", Value: "x"}), false},
		{"binary only", `{"a":[{"exists":false}]}`, attrs("b", bin("AAEC")), false},
		{"unknown type ignored", `{"a":[{"exists":true}]}`, attrs("a", Attribute{DataType: "Strange", Value: "x"}), false},
		{"dotted name is a name", `{"a.b":["x"]}`, attrs("a.b", str("x")), true},
		{"and across keys", `{"a":["x"],"b":["y"]}`, attrs("a", str("x"), "b", str("z")), false},
		{"or across keys", `{"$or":[{"a":["x"]},{"b":["y"]}]}`, attrs("a", str("q"), "b", str("y")), true},
		{"or neither", `{"$or":[{"a":["x"]},{"b":["y"]}]}`, attrs("a", str("q"), "b", str("q")), false},
		{"or is a plain key", `{"$or":["x","y"]}`, attrs("$or", str("y")), true},
		{"duplicate key last wins", `{"a":["x"],"a":["y"]}`, attrs("a", str("x")), false},
		{"duplicate key last wins 2", `{"a":["x"],"a":["y"]}`, attrs("a", str("y")), true},
	})
}
