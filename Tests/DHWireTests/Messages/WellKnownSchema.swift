/// The schema of `Dhtest_WellKnown`, for the interop tests.
enum WellKnownSchema {
    static let fileName = "dhtest_wkt.proto"

    static let proto = """
        syntax = "proto3";

        package dhtest;

        import "google/protobuf/any.proto";
        import "google/protobuf/duration.proto";
        import "google/protobuf/empty.proto";
        import "google/protobuf/field_mask.proto";
        import "google/protobuf/struct.proto";
        import "google/protobuf/timestamp.proto";
        import "google/protobuf/wrappers.proto";

        message WellKnown {
          google.protobuf.Timestamp at = 1;
          google.protobuf.Duration took = 2;
          google.protobuf.Struct extra = 3;
          google.protobuf.Value any_value = 4;
          google.protobuf.ListValue list = 5;
          google.protobuf.Int64Value count = 6;
          google.protobuf.StringValue label = 7;
          google.protobuf.BoolValue flag = 8;
          google.protobuf.DoubleValue ratio = 9;
          google.protobuf.FieldMask mask = 10;
          google.protobuf.Empty nothing = 11;
          repeated google.protobuf.Timestamp history = 12;
          google.protobuf.Any packed = 13;
          repeated google.protobuf.Any packed_list = 14;
        }

        """
}
