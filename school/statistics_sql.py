"""The statistics statement compiled for SQLite and PostgreSQL (written by `python -m
school.statistics_sql_make`; do not edit): `stats --format json` runs it with stdlib sqlite3 or
psycopg (school/statistics_quick.py)."""

SQLITE = (
    "WITH roll AS MATERIALIZED \n(SELECT pupil.id AS id, pupil.upn AS upn, "
    "pupil.date_of_birth AS date_of_birth, (SELECT count(*) AS count_1 \nFROM "
    "attendance_mark \nWHERE attendance_mark.pupil_id = pupil.id AND "
    "attendance_mark.date BETWEEN :year_start AND :as_of) AS marks \nFROM pupil \n"
    "WHERE pupil.school_id = :school_id AND pupil.admission_date <= :as_of AND "
    "(pupil.leaving_date IS NULL OR pupil.leaving_date >= :as_of)), \nothers AS "
    "MATERIALIZED \n(SELECT attendance_mark.pupil_id AS pupil_id, "
    "attendance_mark.date AS date, attendance_mark.session AS session, "
    "attendance_mark.code AS code \nFROM attendance_mark JOIN roll ON roll.id = "
    "attendance_mark.pupil_id \nWHERE attendance_mark.code NOT IN ('/', '\\') AND "
    "attendance_mark.date <= :as_of), \nother_totals AS \n(SELECT others.pupil_id AS "
    "pupil_id, count(*) FILTER (WHERE others.date >= :year_start) AS marks, count(*) "
    "FILTER (WHERE others.date >= :year_start AND others.code IN (:code_1_1, "
    ":code_1_2, :code_1_3, :code_1_4, :code_1_5, :code_1_6, :code_1_7, :code_1_8, "
    ":code_1_9, :code_1_10, :code_1_11, :code_1_12)) AS not_possible, count(*) "
    "FILTER (WHERE others.date >= :year_start AND others.code = :code_2) AS late, "
    "count(*) FILTER (WHERE others.date >= :year_start AND others.code IN "
    "(:code_3_1, :code_3_2, :code_3_3, :code_3_4, :code_3_5)) AS aea, count(*) "
    "FILTER (WHERE others.date >= :year_start AND others.code IN (:code_4_1, "
    ":code_4_2, :code_4_3, :code_4_4, :code_4_5, :code_4_6, :code_4_7, :code_4_8, "
    ":code_4_9, :code_4_10)) AS authorised, count(*) FILTER (WHERE others.date >= "
    ":year_start AND others.code IN (:code_5_1, :code_5_2, :code_5_3, :code_5_4)) AS "
    "unauthorised, count(*) FILTER (WHERE others.date >= :half_term_start AND "
    "others.code = :code_6) AS l_half_term, count(*) FILTER (WHERE others.date >= "
    ":term_start AND others.code = :code_7) AS l_term, count(*) FILTER (WHERE "
    "others.date >= :half_term_start AND others.code = :code_8) AS u_half_term, "
    "count(*) FILTER (WHERE others.date >= :term_start AND others.code = :code_9) AS "
    "u_term, count(DISTINCT others.date) FILTER (WHERE others.date >= :year_start "
    "AND others.code = :code_10) AS ill_days \nFROM others GROUP BY others.pupil_id), "
    "\nunauthorised AS \n(SELECT others.pupil_id AS pupil_id, others.date AS date, "
    "others.code AS code, school_day.day_index AS day_index, school_day.sessions AS "
    "sessions, school_day.school_week AS school_week, lag(school_day.school_week, "
    ":lag_1) OVER (PARTITION BY others.pupil_id ORDER BY others.date, "
    "others.session) AS week_back \nFROM others JOIN school_day ON "
    "school_day.school_id = :school_id AND school_day.date = others.date \nWHERE "
    "others.code IN (:code_12_1, :code_12_2, :code_12_3, :code_12_4)), \nthreshold AS "
    "\n(SELECT unauthorised.pupil_id AS pupil_id, count(*) FILTER (WHERE "
    "unauthorised.date >= :window_start) AS rolling, count(*) FILTER (WHERE "
    "unauthorised.code = :code_11 AND unauthorised.date <= :overdue_n_before) AS "
    "overdue_n, min(CASE WHEN (unauthorised.school_week - unauthorised.week_back < "
    ":param_1) THEN unauthorised.date END) AS first_met \nFROM unauthorised GROUP BY "
    "unauthorised.pupil_id), \nfull_days AS \n(SELECT unauthorised.pupil_id AS "
    "pupil_id, unauthorised.day_index AS day_index, row_number() OVER (PARTITION BY "
    "unauthorised.pupil_id ORDER BY unauthorised.day_index DESC) AS back \nFROM "
    "unauthorised GROUP BY unauthorised.pupil_id, unauthorised.day_index, "
    "unauthorised.sessions \nHAVING count(*) = unauthorised.sessions), \nrun AS \n"
    "(SELECT full_days.pupil_id AS pupil_id, count(*) AS run \nFROM full_days \nWHERE "
    "(full_days.day_index + full_days.back) - :param_2 = :last_school_day_index "
    "GROUP BY full_days.pupil_id)\n SELECT roll.upn, roll.date_of_birth, roll.marks - "
    "coalesce(other_totals.not_possible, :coalesce_1) AS possible, (roll.marks - "
    "coalesce(other_totals.marks, :coalesce_2)) + coalesce(other_totals.late, "
    ":coalesce_3) AS present, coalesce(other_totals.aea, :coalesce_4) AS aea, "
    "coalesce(other_totals.authorised, :coalesce_5) AS authorised, "
    "coalesce(other_totals.unauthorised, :coalesce_6) AS unauthorised, "
    "coalesce(threshold.rolling, :coalesce_7) AS rolling, threshold.first_met, "
    "coalesce(run.run, :coalesce_8) AS run, coalesce(other_totals.ill_days, "
    ":coalesce_9) AS illness_days, coalesce(other_totals.l_half_term, :coalesce_10) "
    "AS l_half_term, coalesce(other_totals.l_term, :coalesce_11) AS l_term, "
    "coalesce(other_totals.u_half_term, :coalesce_12) AS u_half_term, "
    "coalesce(other_totals.u_term, :coalesce_13) AS u_term, "
    "coalesce(threshold.overdue_n, :coalesce_14) AS overdue_n \nFROM roll LEFT OUTER "
    "JOIN other_totals ON other_totals.pupil_id = roll.id LEFT OUTER JOIN threshold "
    "ON threshold.pupil_id = roll.id LEFT OUTER JOIN run ON run.pupil_id = roll.id "
    "ORDER BY roll.upn"
)

POSTGRESQL = (
    "WITH roll AS MATERIALIZED \n(SELECT pupil.id AS id, pupil.upn AS upn, "
    "pupil.date_of_birth AS date_of_birth, (SELECT count(*) AS count_1 \nFROM "
    "attendance_mark \nWHERE attendance_mark.pupil_id = pupil.id AND "
    "attendance_mark.date BETWEEN %(year_start)s::DATE AND %(as_of)s::DATE) AS marks "
    "\nFROM pupil \nWHERE pupil.school_id = %(school_id)s::VARCHAR AND "
    "pupil.admission_date <= %(as_of)s::DATE AND (pupil.leaving_date IS NULL OR "
    "pupil.leaving_date >= %(as_of)s::DATE)), \nothers AS MATERIALIZED \n(SELECT "
    "attendance_mark.pupil_id AS pupil_id, attendance_mark.date AS date, "
    "attendance_mark.session AS session, attendance_mark.code AS code \nFROM "
    "attendance_mark JOIN roll ON roll.id = attendance_mark.pupil_id \nWHERE "
    "attendance_mark.code NOT IN ('/', '\\') AND attendance_mark.date <= "
    "%(as_of)s::DATE), \nother_totals AS \n(SELECT others.pupil_id AS pupil_id, "
    "count(*) FILTER (WHERE others.date >= %(year_start)s::DATE) AS marks, count(*) "
    "FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code IN "
    "(%(code_1_1)s::VARCHAR, %(code_1_2)s::VARCHAR, %(code_1_3)s::VARCHAR, "
    "%(code_1_4)s::VARCHAR, %(code_1_5)s::VARCHAR, %(code_1_6)s::VARCHAR, "
    "%(code_1_7)s::VARCHAR, %(code_1_8)s::VARCHAR, %(code_1_9)s::VARCHAR, "
    "%(code_1_10)s::VARCHAR, %(code_1_11)s::VARCHAR, %(code_1_12)s::VARCHAR)) AS "
    "not_possible, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND "
    "others.code = %(code_2)s::VARCHAR) AS late, count(*) FILTER (WHERE others.date "
    ">= %(year_start)s::DATE AND others.code IN (%(code_3_1)s::VARCHAR, "
    "%(code_3_2)s::VARCHAR, %(code_3_3)s::VARCHAR, %(code_3_4)s::VARCHAR, "
    "%(code_3_5)s::VARCHAR)) AS aea, count(*) FILTER (WHERE others.date >= "
    "%(year_start)s::DATE AND others.code IN (%(code_4_1)s::VARCHAR, "
    "%(code_4_2)s::VARCHAR, %(code_4_3)s::VARCHAR, %(code_4_4)s::VARCHAR, "
    "%(code_4_5)s::VARCHAR, %(code_4_6)s::VARCHAR, %(code_4_7)s::VARCHAR, "
    "%(code_4_8)s::VARCHAR, %(code_4_9)s::VARCHAR, %(code_4_10)s::VARCHAR)) AS "
    "authorised, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND "
    "others.code IN (%(code_5_1)s::VARCHAR, %(code_5_2)s::VARCHAR, "
    "%(code_5_3)s::VARCHAR, %(code_5_4)s::VARCHAR)) AS unauthorised, count(*) FILTER "
    "(WHERE others.date >= %(half_term_start)s::DATE AND others.code = "
    "%(code_6)s::VARCHAR) AS l_half_term, count(*) FILTER (WHERE others.date >= "
    "%(term_start)s::DATE AND others.code = %(code_7)s::VARCHAR) AS l_term, count(*) "
    "FILTER (WHERE others.date >= %(half_term_start)s::DATE AND others.code = "
    "%(code_8)s::VARCHAR) AS u_half_term, count(*) FILTER (WHERE others.date >= "
    "%(term_start)s::DATE AND others.code = %(code_9)s::VARCHAR) AS u_term, "
    "count(DISTINCT others.date) FILTER (WHERE others.date >= %(year_start)s::DATE "
    "AND others.code = %(code_10)s::VARCHAR) AS ill_days \nFROM others GROUP BY "
    "others.pupil_id), \nunauthorised AS \n(SELECT others.pupil_id AS pupil_id, "
    "others.date AS date, others.code AS code, school_day.day_index AS day_index, "
    "school_day.sessions AS sessions, school_day.school_week AS school_week, "
    "lag(school_day.school_week, %(lag_1)s::INTEGER) OVER (PARTITION BY "
    "others.pupil_id ORDER BY others.date, others.session) AS week_back \nFROM others "
    "JOIN school_day ON school_day.school_id = %(school_id)s::VARCHAR AND "
    "school_day.date = others.date \nWHERE others.code IN (%(code_12_1)s::VARCHAR, "
    "%(code_12_2)s::VARCHAR, %(code_12_3)s::VARCHAR, %(code_12_4)s::VARCHAR)), \n"
    "threshold AS \n(SELECT unauthorised.pupil_id AS pupil_id, count(*) FILTER (WHERE "
    "unauthorised.date >= %(window_start)s::DATE) AS rolling, count(*) FILTER (WHERE "
    "unauthorised.code = %(code_11)s::VARCHAR AND unauthorised.date <= "
    "%(overdue_n_before)s::DATE) AS overdue_n, min(CASE WHEN "
    "(unauthorised.school_week - unauthorised.week_back < %(param_1)s::INTEGER) THEN "
    "unauthorised.date END) AS first_met \nFROM unauthorised GROUP BY "
    "unauthorised.pupil_id), \nfull_days AS \n(SELECT unauthorised.pupil_id AS "
    "pupil_id, unauthorised.day_index AS day_index, row_number() OVER (PARTITION BY "
    "unauthorised.pupil_id ORDER BY unauthorised.day_index DESC) AS back \nFROM "
    "unauthorised GROUP BY unauthorised.pupil_id, unauthorised.day_index, "
    "unauthorised.sessions \nHAVING count(*) = unauthorised.sessions), \nrun AS \n"
    "(SELECT full_days.pupil_id AS pupil_id, count(*) AS run \nFROM full_days \nWHERE "
    "(full_days.day_index + full_days.back) - %(param_2)s::INTEGER = "
    "%(last_school_day_index)s::INTEGER GROUP BY full_days.pupil_id)\n SELECT "
    "roll.upn, roll.date_of_birth, roll.marks - coalesce(other_totals.not_possible, "
    "%(coalesce_1)s::INTEGER) AS possible, (roll.marks - "
    "coalesce(other_totals.marks, %(coalesce_2)s::INTEGER)) + "
    "coalesce(other_totals.late, %(coalesce_3)s::INTEGER) AS present, "
    "coalesce(other_totals.aea, %(coalesce_4)s::INTEGER) AS aea, "
    "coalesce(other_totals.authorised, %(coalesce_5)s::INTEGER) AS authorised, "
    "coalesce(other_totals.unauthorised, %(coalesce_6)s::INTEGER) AS unauthorised, "
    "coalesce(threshold.rolling, %(coalesce_7)s::INTEGER) AS rolling, "
    "threshold.first_met, coalesce(run.run, %(coalesce_8)s::INTEGER) AS run, "
    "coalesce(other_totals.ill_days, %(coalesce_9)s::INTEGER) AS illness_days, "
    "coalesce(other_totals.l_half_term, %(coalesce_10)s::INTEGER) AS l_half_term, "
    "coalesce(other_totals.l_term, %(coalesce_11)s::INTEGER) AS l_term, "
    "coalesce(other_totals.u_half_term, %(coalesce_12)s::INTEGER) AS u_half_term, "
    "coalesce(other_totals.u_term, %(coalesce_13)s::INTEGER) AS u_term, "
    "coalesce(threshold.overdue_n, %(coalesce_14)s::INTEGER) AS overdue_n \nFROM roll "
    "LEFT OUTER JOIN other_totals ON other_totals.pupil_id = roll.id LEFT OUTER JOIN "
    "threshold ON threshold.pupil_id = roll.id LEFT OUTER JOIN run ON run.pupil_id = "
    "roll.id ORDER BY roll.upn"
)

CONSTANTS: dict[str, str | int] = {
    "coalesce_1": 0,
    "coalesce_10": 0,
    "coalesce_11": 0,
    "coalesce_12": 0,
    "coalesce_13": 0,
    "coalesce_14": 0,
    "coalesce_2": 0,
    "coalesce_3": 0,
    "coalesce_4": 0,
    "coalesce_5": 0,
    "coalesce_6": 0,
    "coalesce_7": 0,
    "coalesce_8": 0,
    "coalesce_9": 0,
    "code_10": "I",
    "code_11": "N",
    "code_12_1": "G",
    "code_12_2": "N",
    "code_12_3": "O",
    "code_12_4": "U",
    "code_1_1": "#",
    "code_1_10": "Y6",
    "code_1_11": "Y7",
    "code_1_12": "Z",
    "code_1_2": "D",
    "code_1_3": "Q",
    "code_1_4": "X",
    "code_1_5": "Y1",
    "code_1_6": "Y2",
    "code_1_7": "Y3",
    "code_1_8": "Y4",
    "code_1_9": "Y5",
    "code_2": "L",
    "code_3_1": "B",
    "code_3_2": "K",
    "code_3_3": "P",
    "code_3_4": "V",
    "code_3_5": "W",
    "code_4_1": "C",
    "code_4_10": "T",
    "code_4_2": "C1",
    "code_4_3": "C2",
    "code_4_4": "E",
    "code_4_5": "I",
    "code_4_6": "J1",
    "code_4_7": "M",
    "code_4_8": "R",
    "code_4_9": "S",
    "code_5_1": "G",
    "code_5_2": "N",
    "code_5_3": "O",
    "code_5_4": "U",
    "code_6": "L",
    "code_7": "L",
    "code_8": "U",
    "code_9": "U",
    "lag_1": 9,
    "param_1": 10,
    "param_2": 1,
}
