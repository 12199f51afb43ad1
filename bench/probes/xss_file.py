#!/usr/bin/env python3
"""Writes a JSON Lines submission (docs/interchange.md) whose students carry markup:

* the "carrier" (accepted): valid names, and markup in every other free-text element of the
  catalogue (birth city, suffix, qualifying move cities, school/project and facility names,
  addresses and city, district name, enrollment comment, course title, subject area and final
  grade, assessment title, content and score), each value cut to the element's maximum length;
* the "rejected": markup in its names and parent names (names allow letters, marks, spaces,
  hyphens, apostrophes and periods only), so it is rejected and its offending values appear in
  the submission report.

Usage: xss_file.py --state TX --out FILE.jsonl --payloads FILE.json
The payloads file maps each carried element to its exact value, for probes.py.
"""
import argparse
import datetime
import json

P_SCRIPT = "<script>alert(1)</script>"
P_IMG = '"><img src=x onerror=alert(1)>'
P_TPL = "a{{7*7}}b"          # a template engine would print a49b
P_TYPST = "#set $x$ \\ c#{7*7}d"  # typst markup: a spliced value would print c49d or fail


def full(tag, n):
    v = f"{tag}{P_SCRIPT}{P_IMG}{P_TPL} {P_TYPST}"
    assert len(v) <= n, (tag, len(v), n)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", default="TX")
    ap.add_argument("--out", required=True)
    ap.add_argument("--payloads", required=True)
    a = ap.parse_args()
    st = a.state
    carried = {
        "birth_city": P_IMG,                                   # 30
        "suffix": '"><i>9</i>',                                # 10
        "from_city": full("M1", 100),
        "to_city": full("M2", 100),
        "school_or_project_name": full("E1", 100),
        "facility_name": full("E2", 100),
        "facility_address_1": "E3" + P_SCRIPT + " $x$",       # 35
        "facility_address_2": "E4" + P_IMG,                    # 35
        "facility_address_3": "E5" + P_TPL + " #set \\ c#{7*7}d",  # 35
        "facility_city": "E6" + P_SCRIPT,                      # 30
        "district_name": "E7" + P_SCRIPT + P_TPL + " #set $x$ \\",  # 60
        "comment": full("E8", 1000) + " <iframe src=javascript:alert(1)></iframe> ${7*7} <%= 7*7 %> "
                   + "x\" autofocus onfocus=\"alert(1) x' autofocus onfocus='alert(1)",
        "course_title": "C1" + P_SCRIPT + P_TPL + " $x$ \\",    # 50
        "subject_area": "C2" + P_IMG + " $x$",                 # 50
        "final_grade": "'><i>9</i>",                           # 10
        "title": "A1" + P_SCRIPT + P_TPL + " #set $x$ \\",      # 55
        "content": "A2" + P_SCRIPT + " $x$",                   # 35
        "score": "A3" + P_SCRIPT + " #set \\",                 # 40
    }
    limits = {"birth_city": 30, "suffix": 10, "facility_address_1": 35, "facility_address_2": 35,
              "facility_address_3": 35, "facility_city": 30, "district_name": 60, "course_title": 50,
              "subject_area": 50, "final_grade": 10, "title": 55, "content": 35, "score": 40}
    for k, n in limits.items():
        assert len(carried[k]) <= n, (k, len(carried[k]), n)
    first, last = "Zyxwella", "Quetzalpohualli"
    carrier = {
        "student_record_id": "1", "msix_id": "", "reporting_state": st,
        "state_student_id": "XSS0001", "state_student_id_type": "01", "action_code": "I",
        "demographics": {
            "first_name": first, "middle_name": "Ñúñez", "last_name_1": last, "last_name_2": "O'Brien",
            "suffix": carried["suffix"], "sex": "Female", "birth_date": "20090304", "multiple_birth_flag": "No",
            "birth_city": carried["birth_city"], "birth_country": "MX", "birth_date_verification": "1004",
            "parent1_first_name": "Luis", "parent1_last_name": "Quetzalpohualli",
        },
        "qualifying_moves": [{
            "qualifying_arrival_date": "20240812", "from_city": carried["from_city"], "from_state": "JAL",
            "from_country": "MX", "to_city": carried["to_city"], "to_state": st,
        }],
        "enrollments": [{
            "enrollment_date": "20240820", "enrollment_type": "01",
            "school_or_project_name": carried["school_or_project_name"],
            "facility_name": carried["facility_name"],
            "facility_address_1": carried["facility_address_1"],
            "facility_address_2": carried["facility_address_2"],
            "facility_address_3": carried["facility_address_3"],
            "facility_city": carried["facility_city"], "district_name": carried["district_name"],
            "facility_state": st, "grade_level": "10", "lep_indicator": "Yes", "pfs_flag": "Yes",
            "residency_date": "20240812", "comment": carried["comment"],
        }],
        "courses": [{
            "course_title": carried["course_title"], "subject_area": carried["subject_area"],
            "begin_year": "2024", "end_year": "2025", "clock_hours": "60", "grade_to_date": "B+",
            "credits_granted": "0.50", "final_grade": carried["final_grade"],
        }],
        "assessments": [{
            "title": carried["title"], "content": carried["content"], "assessment_type": "01",
            "administration_date": "052024", "score": carried["score"], "interpretation": "Proficient",
        }],
    }
    rejected_vals = {
        "first_name": "R1" + P_SCRIPT,
        "last_name_1": "R2" + P_IMG,
        "parent1_first_name": "R3" + P_TPL,
        "parent2_last_name": "R4'><svg/onload=alert(1)>",
    }
    rejected = {
        "student_record_id": "2", "msix_id": "", "reporting_state": st,
        "state_student_id": "XSS0002", "state_student_id_type": "01", "action_code": "I",
        "demographics": {
            "first_name": rejected_vals["first_name"], "last_name_1": rejected_vals["last_name_1"],
            "sex": "Male", "birth_date": "20100101", "multiple_birth_flag": "No",
            "parent1_first_name": rejected_vals["parent1_first_name"],
            "parent2_last_name": rejected_vals["parent2_last_name"],
        },
    }
    students = [carrier, rejected]
    records = sum(1 + sum(len(s.get(k) or []) for k in
                          ("alternate_ids", "qualifying_moves", "enrollments", "courses", "assessments"))
                  for s in students)
    now = datetime.datetime.now(datetime.timezone.utc)
    header = {
        "submitting_state": st, "submission_date": now.strftime("%Y%m%d%H%M%S000"),
        "total_students": len(students), "total_records": records,
        "beginning_effective_date": "20240701000000000", "ending_effective_date": "20250630000000000",
    }
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(json.dumps({"header": header}, ensure_ascii=False) + "\n")
        for s in students:
            f.write(json.dumps({"student": s}, ensure_ascii=False) + "\n")
    with open(a.payloads, "w", encoding="utf-8") as f:
        json.dump({"first_name": first, "last_name": last, "accepted": carried, "rejected": rejected_vals}, f,
                  ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
