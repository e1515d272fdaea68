import { z } from "zod";
import { ERROR_FAMILIES, FAULT_CLASSES } from "../faults.ts";

/** The fault classes and error families as schemas; the tables themselves (shared/faults.ts) carry no zod. */
export const FaultClassSchema = z.enum(FAULT_CLASSES);
export const ErrorFamilySchema = z.enum(ERROR_FAMILIES);
