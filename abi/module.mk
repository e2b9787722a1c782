# SPDX-License-Identifier: MIT
# abi/module.mk: generate protobuf-c code for the management protocol.
GEN_HDRS += $(BUILD)/gen/pvmgmt.pb-c.h

$(BUILD)/gen/pvmgmt.pb-c.c $(BUILD)/gen/pvmgmt.pb-c.h &: abi/pvmgmt.proto
	@mkdir -p $(BUILD)/gen
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --proto_path=abi --c_out=$(BUILD)/gen abi/pvmgmt.proto

$(BUILD)/gen/pvmgmt.pb-c.o: $(BUILD)/gen/pvmgmt.pb-c.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) -Wno-missing-prototypes -c $< -o $@

PVMGMT_OBJ := $(BUILD)/gen/pvmgmt.pb-c.o
